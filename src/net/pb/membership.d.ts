import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace crank {

    namespace membership {

        namespace v1 {

            interface IHello extends crank.membership.v1.Hello.$Properties {
            }

            class Hello {
                constructor(properties?: crank.membership.v1.Hello.$Properties);
                $unknowns?: Uint8Array[];
                certificate: Uint8Array;
                crl: Uint8Array;
                reply: boolean;
                static create(properties: crank.membership.v1.Hello.$Shape): crank.membership.v1.Hello & crank.membership.v1.Hello.$Shape;
                static create(properties?: crank.membership.v1.Hello.$Properties): crank.membership.v1.Hello;
                static encode(message: crank.membership.v1.Hello.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.membership.v1.Hello & crank.membership.v1.Hello.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Hello {
                interface $Properties {
                    certificate?: (Uint8Array|null);
                    crl?: (Uint8Array|null);
                    reply?: (boolean|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.membership.v1.Hello.$Properties;
            }
        }
    }
}
