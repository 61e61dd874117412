import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace crank {

    namespace job {

        namespace v1 {

            interface ISubmit extends crank.job.v1.Submit.$Properties {
            }

            class Submit {
                constructor(properties?: crank.job.v1.Submit.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                capability: string;
                versionRange: string;
                paramsJson: Uint8Array;
                deadlineMs: number;
                hasInput: boolean;
                meta: { [k: string]: string };
                priority: string;
                static create(properties: crank.job.v1.Submit.$Shape): crank.job.v1.Submit & crank.job.v1.Submit.$Shape;
                static create(properties?: crank.job.v1.Submit.$Properties): crank.job.v1.Submit;
                static encode(message: crank.job.v1.Submit.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Submit & crank.job.v1.Submit.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Submit {
                interface $Properties {
                    jobId?: (string|null);
                    capability?: (string|null);
                    versionRange?: (string|null);
                    paramsJson?: (Uint8Array|null);
                    deadlineMs?: (number|null);
                    hasInput?: (boolean|null);
                    meta?: ({ [k: string]: string }|null);
                    priority?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Submit.$Properties;
            }

            interface IInputChunk extends crank.job.v1.InputChunk.$Properties {
            }

            class InputChunk {
                constructor(properties?: crank.job.v1.InputChunk.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                data: Uint8Array;
                static create(properties: crank.job.v1.InputChunk.$Shape): crank.job.v1.InputChunk & crank.job.v1.InputChunk.$Shape;
                static create(properties?: crank.job.v1.InputChunk.$Properties): crank.job.v1.InputChunk;
                static encode(message: crank.job.v1.InputChunk.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.InputChunk & crank.job.v1.InputChunk.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace InputChunk {
                interface $Properties {
                    jobId?: (string|null);
                    data?: (Uint8Array|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.InputChunk.$Properties;
            }

            interface IInputEnd extends crank.job.v1.InputEnd.$Properties {
            }

            class InputEnd {
                constructor(properties?: crank.job.v1.InputEnd.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                static create(properties: crank.job.v1.InputEnd.$Shape): crank.job.v1.InputEnd & crank.job.v1.InputEnd.$Shape;
                static create(properties?: crank.job.v1.InputEnd.$Properties): crank.job.v1.InputEnd;
                static encode(message: crank.job.v1.InputEnd.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.InputEnd & crank.job.v1.InputEnd.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace InputEnd {
                interface $Properties {
                    jobId?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.InputEnd.$Properties;
            }

            interface ICancel extends crank.job.v1.Cancel.$Properties {
            }

            class Cancel {
                constructor(properties?: crank.job.v1.Cancel.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                reason: string;
                static create(properties: crank.job.v1.Cancel.$Shape): crank.job.v1.Cancel & crank.job.v1.Cancel.$Shape;
                static create(properties?: crank.job.v1.Cancel.$Properties): crank.job.v1.Cancel;
                static encode(message: crank.job.v1.Cancel.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Cancel & crank.job.v1.Cancel.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Cancel {
                interface $Properties {
                    jobId?: (string|null);
                    reason?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Cancel.$Properties;
            }

            interface IClientFrame extends crank.job.v1.ClientFrame.$Properties {
            }

            class ClientFrame {
                constructor(properties?: crank.job.v1.ClientFrame.$Properties);
                $unknowns?: Uint8Array[];
                submit?: (crank.job.v1.Submit.$Properties|null);
                inputChunk?: (crank.job.v1.InputChunk.$Properties|null);
                inputEnd?: (crank.job.v1.InputEnd.$Properties|null);
                cancel?: (crank.job.v1.Cancel.$Properties|null);
                frame?: ("submit"|"inputChunk"|"inputEnd"|"cancel");
                static create(properties: crank.job.v1.ClientFrame.$Shape): crank.job.v1.ClientFrame & crank.job.v1.ClientFrame.$Shape;
                static create(properties?: crank.job.v1.ClientFrame.$Properties): crank.job.v1.ClientFrame;
                static encode(message: crank.job.v1.ClientFrame.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.ClientFrame & crank.job.v1.ClientFrame.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace ClientFrame {
                interface $Properties {
                    submit?: (crank.job.v1.Submit.$Properties|null);
                    inputChunk?: (crank.job.v1.InputChunk.$Properties|null);
                    inputEnd?: (crank.job.v1.InputEnd.$Properties|null);
                    cancel?: (crank.job.v1.Cancel.$Properties|null);
                    frame?: ("submit"|"inputChunk"|"inputEnd"|"cancel");
                    $unknowns?: Uint8Array[];
                }
                type $Shape = {
                  submit?: crank.job.v1.Submit.$Shape|null;
                  inputChunk?: crank.job.v1.InputChunk.$Shape|null;
                  inputEnd?: crank.job.v1.InputEnd.$Shape|null;
                  cancel?: crank.job.v1.Cancel.$Shape|null;
                  $unknowns?: Uint8Array[];
                } & (
                  ({ frame?: undefined; submit?: null; inputChunk?: null; inputEnd?: null; cancel?: null }|{ frame?: "submit"; submit: crank.job.v1.Submit.$Shape; inputChunk?: null; inputEnd?: null; cancel?: null }|{ frame?: "inputChunk"; submit?: null; inputChunk: crank.job.v1.InputChunk.$Shape; inputEnd?: null; cancel?: null }|{ frame?: "inputEnd"; submit?: null; inputChunk?: null; inputEnd: crank.job.v1.InputEnd.$Shape; cancel?: null }|{ frame?: "cancel"; submit?: null; inputChunk?: null; inputEnd?: null; cancel: crank.job.v1.Cancel.$Shape })
                );
            }

            interface IAccepted extends crank.job.v1.Accepted.$Properties {
            }

            class Accepted {
                constructor(properties?: crank.job.v1.Accepted.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                capabilityVersion: string;
                static create(properties: crank.job.v1.Accepted.$Shape): crank.job.v1.Accepted & crank.job.v1.Accepted.$Shape;
                static create(properties?: crank.job.v1.Accepted.$Properties): crank.job.v1.Accepted;
                static encode(message: crank.job.v1.Accepted.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Accepted & crank.job.v1.Accepted.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Accepted {
                interface $Properties {
                    jobId?: (string|null);
                    capabilityVersion?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Accepted.$Properties;
            }

            interface IRejected extends crank.job.v1.Rejected.$Properties {
            }

            class Rejected {
                constructor(properties?: crank.job.v1.Rejected.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                code: string;
                message: string;
                retryable: boolean;
                static create(properties: crank.job.v1.Rejected.$Shape): crank.job.v1.Rejected & crank.job.v1.Rejected.$Shape;
                static create(properties?: crank.job.v1.Rejected.$Properties): crank.job.v1.Rejected;
                static encode(message: crank.job.v1.Rejected.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Rejected & crank.job.v1.Rejected.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Rejected {
                interface $Properties {
                    jobId?: (string|null);
                    code?: (string|null);
                    message?: (string|null);
                    retryable?: (boolean|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Rejected.$Properties;
            }

            interface IProgress extends crank.job.v1.Progress.$Properties {
            }

            class Progress {
                constructor(properties?: crank.job.v1.Progress.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                done: number;
                total: number;
                message: string;
                static create(properties: crank.job.v1.Progress.$Shape): crank.job.v1.Progress & crank.job.v1.Progress.$Shape;
                static create(properties?: crank.job.v1.Progress.$Properties): crank.job.v1.Progress;
                static encode(message: crank.job.v1.Progress.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Progress & crank.job.v1.Progress.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Progress {
                interface $Properties {
                    jobId?: (string|null);
                    done?: (number|null);
                    total?: (number|null);
                    message?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Progress.$Properties;
            }

            interface IOutputChunk extends crank.job.v1.OutputChunk.$Properties {
            }

            class OutputChunk {
                constructor(properties?: crank.job.v1.OutputChunk.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                data: Uint8Array;
                static create(properties: crank.job.v1.OutputChunk.$Shape): crank.job.v1.OutputChunk & crank.job.v1.OutputChunk.$Shape;
                static create(properties?: crank.job.v1.OutputChunk.$Properties): crank.job.v1.OutputChunk;
                static encode(message: crank.job.v1.OutputChunk.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.OutputChunk & crank.job.v1.OutputChunk.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace OutputChunk {
                interface $Properties {
                    jobId?: (string|null);
                    data?: (Uint8Array|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.OutputChunk.$Properties;
            }

            interface IResult extends crank.job.v1.Result.$Properties {
            }

            class Result {
                constructor(properties?: crank.job.v1.Result.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                resultJson: Uint8Array;
                capabilityVersion: string;
                static create(properties: crank.job.v1.Result.$Shape): crank.job.v1.Result & crank.job.v1.Result.$Shape;
                static create(properties?: crank.job.v1.Result.$Properties): crank.job.v1.Result;
                static encode(message: crank.job.v1.Result.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Result & crank.job.v1.Result.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Result {
                interface $Properties {
                    jobId?: (string|null);
                    resultJson?: (Uint8Array|null);
                    capabilityVersion?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Result.$Properties;
            }

            interface IError extends crank.job.v1.Error.$Properties {
            }

            class Error {
                constructor(properties?: crank.job.v1.Error.$Properties);
                $unknowns?: Uint8Array[];
                jobId: string;
                state: string;
                code: string;
                message: string;
                retryable: boolean;
                capabilityVersion: string;
                static create(properties: crank.job.v1.Error.$Shape): crank.job.v1.Error & crank.job.v1.Error.$Shape;
                static create(properties?: crank.job.v1.Error.$Properties): crank.job.v1.Error;
                static encode(message: crank.job.v1.Error.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.Error & crank.job.v1.Error.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Error {
                interface $Properties {
                    jobId?: (string|null);
                    state?: (string|null);
                    code?: (string|null);
                    message?: (string|null);
                    retryable?: (boolean|null);
                    capabilityVersion?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.job.v1.Error.$Properties;
            }

            interface IServerFrame extends crank.job.v1.ServerFrame.$Properties {
            }

            class ServerFrame {
                constructor(properties?: crank.job.v1.ServerFrame.$Properties);
                $unknowns?: Uint8Array[];
                accepted?: (crank.job.v1.Accepted.$Properties|null);
                rejected?: (crank.job.v1.Rejected.$Properties|null);
                progress?: (crank.job.v1.Progress.$Properties|null);
                outputChunk?: (crank.job.v1.OutputChunk.$Properties|null);
                result?: (crank.job.v1.Result.$Properties|null);
                error?: (crank.job.v1.Error.$Properties|null);
                frame?: ("accepted"|"rejected"|"progress"|"outputChunk"|"result"|"error");
                static create(properties: crank.job.v1.ServerFrame.$Shape): crank.job.v1.ServerFrame & crank.job.v1.ServerFrame.$Shape;
                static create(properties?: crank.job.v1.ServerFrame.$Properties): crank.job.v1.ServerFrame;
                static encode(message: crank.job.v1.ServerFrame.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.job.v1.ServerFrame & crank.job.v1.ServerFrame.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace ServerFrame {
                interface $Properties {
                    accepted?: (crank.job.v1.Accepted.$Properties|null);
                    rejected?: (crank.job.v1.Rejected.$Properties|null);
                    progress?: (crank.job.v1.Progress.$Properties|null);
                    outputChunk?: (crank.job.v1.OutputChunk.$Properties|null);
                    result?: (crank.job.v1.Result.$Properties|null);
                    error?: (crank.job.v1.Error.$Properties|null);
                    frame?: ("accepted"|"rejected"|"progress"|"outputChunk"|"result"|"error");
                    $unknowns?: Uint8Array[];
                }
                type $Shape = {
                  accepted?: crank.job.v1.Accepted.$Shape|null;
                  rejected?: crank.job.v1.Rejected.$Shape|null;
                  progress?: crank.job.v1.Progress.$Shape|null;
                  outputChunk?: crank.job.v1.OutputChunk.$Shape|null;
                  result?: crank.job.v1.Result.$Shape|null;
                  error?: crank.job.v1.Error.$Shape|null;
                  $unknowns?: Uint8Array[];
                } & (
                  ({ frame?: undefined; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "accepted"; accepted: crank.job.v1.Accepted.$Shape; rejected?: null; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "rejected"; accepted?: null; rejected: crank.job.v1.Rejected.$Shape; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "progress"; accepted?: null; rejected?: null; progress: crank.job.v1.Progress.$Shape; outputChunk?: null; result?: null; error?: null }|{ frame?: "outputChunk"; accepted?: null; rejected?: null; progress?: null; outputChunk: crank.job.v1.OutputChunk.$Shape; result?: null; error?: null }|{ frame?: "result"; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result: crank.job.v1.Result.$Shape; error?: null }|{ frame?: "error"; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result?: null; error: crank.job.v1.Error.$Shape })
                );
            }
        }
    }
}
