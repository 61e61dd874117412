import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace crank {

    namespace advert {

        namespace v1 {

            interface ICapabilityAd extends crank.advert.v1.CapabilityAd.$Properties {
            }

            class CapabilityAd {
                constructor(properties?: crank.advert.v1.CapabilityAd.$Properties);
                $unknowns?: Uint8Array[];
                id: string;
                version: string;
                tags: string[];
                gpu: boolean;
                concurrency: number;
                static create(properties: crank.advert.v1.CapabilityAd.$Shape): crank.advert.v1.CapabilityAd & crank.advert.v1.CapabilityAd.$Shape;
                static create(properties?: crank.advert.v1.CapabilityAd.$Properties): crank.advert.v1.CapabilityAd;
                static encode(message: crank.advert.v1.CapabilityAd.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.advert.v1.CapabilityAd & crank.advert.v1.CapabilityAd.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace CapabilityAd {
                interface $Properties {
                    id?: (string|null);
                    version?: (string|null);
                    tags?: (string[]|null);
                    gpu?: (boolean|null);
                    concurrency?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.advert.v1.CapabilityAd.$Properties;
            }

            interface ILoad extends crank.advert.v1.Load.$Properties {
            }

            class Load {
                constructor(properties?: crank.advert.v1.Load.$Properties);
                $unknowns?: Uint8Array[];
                inFlight: number;
                queued: number;
                capacity: number;
                cpu: number;
                memoryBytes: number;
                static create(properties: crank.advert.v1.Load.$Shape): crank.advert.v1.Load & crank.advert.v1.Load.$Shape;
                static create(properties?: crank.advert.v1.Load.$Properties): crank.advert.v1.Load;
                static encode(message: crank.advert.v1.Load.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.advert.v1.Load & crank.advert.v1.Load.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Load {
                interface $Properties {
                    inFlight?: (number|null);
                    queued?: (number|null);
                    capacity?: (number|null);
                    cpu?: (number|null);
                    memoryBytes?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.advert.v1.Load.$Properties;
            }

            interface IAdvert extends crank.advert.v1.Advert.$Properties {
            }

            class Advert {
                constructor(properties?: crank.advert.v1.Advert.$Properties);
                $unknowns?: Uint8Array[];
                seq: number;
                timestampMs: number;
                name: string;
                health: string;
                heartbeatMs: number;
                load?: (crank.advert.v1.Load.$Properties|null);
                capabilities: crank.advert.v1.CapabilityAd.$Properties[];
                addrs: Uint8Array[];
                static create(properties: crank.advert.v1.Advert.$Shape): crank.advert.v1.Advert & crank.advert.v1.Advert.$Shape;
                static create(properties?: crank.advert.v1.Advert.$Properties): crank.advert.v1.Advert;
                static encode(message: crank.advert.v1.Advert.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.advert.v1.Advert & crank.advert.v1.Advert.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace Advert {
                interface $Properties {
                    seq?: (number|null);
                    timestampMs?: (number|null);
                    name?: (string|null);
                    health?: (string|null);
                    heartbeatMs?: (number|null);
                    load?: (crank.advert.v1.Load.$Properties|null);
                    capabilities?: (crank.advert.v1.CapabilityAd.$Properties[]|null);
                    addrs?: (Uint8Array[]|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.advert.v1.Advert.$Properties;
            }

            interface ISnapshotEntry extends crank.advert.v1.SnapshotEntry.$Properties {
            }

            class SnapshotEntry {
                constructor(properties?: crank.advert.v1.SnapshotEntry.$Properties);
                $unknowns?: Uint8Array[];
                peer: string;
                advert: Uint8Array;
                ageMs: number;
                static create(properties: crank.advert.v1.SnapshotEntry.$Shape): crank.advert.v1.SnapshotEntry & crank.advert.v1.SnapshotEntry.$Shape;
                static create(properties?: crank.advert.v1.SnapshotEntry.$Properties): crank.advert.v1.SnapshotEntry;
                static encode(message: crank.advert.v1.SnapshotEntry.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.advert.v1.SnapshotEntry & crank.advert.v1.SnapshotEntry.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace SnapshotEntry {
                interface $Properties {
                    peer?: (string|null);
                    advert?: (Uint8Array|null);
                    ageMs?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.advert.v1.SnapshotEntry.$Properties;
            }

            interface IAdvertSnapshot extends crank.advert.v1.AdvertSnapshot.$Properties {
            }

            class AdvertSnapshot {
                constructor(properties?: crank.advert.v1.AdvertSnapshot.$Properties);
                $unknowns?: Uint8Array[];
                entries: crank.advert.v1.SnapshotEntry.$Properties[];
                static create(properties: crank.advert.v1.AdvertSnapshot.$Shape): crank.advert.v1.AdvertSnapshot & crank.advert.v1.AdvertSnapshot.$Shape;
                static create(properties?: crank.advert.v1.AdvertSnapshot.$Properties): crank.advert.v1.AdvertSnapshot;
                static encode(message: crank.advert.v1.AdvertSnapshot.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): crank.advert.v1.AdvertSnapshot & crank.advert.v1.AdvertSnapshot.$Shape;
                static getTypeUrl(prefix?: string): string;
            }

            namespace AdvertSnapshot {
                interface $Properties {
                    entries?: (crank.advert.v1.SnapshotEntry.$Properties[]|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = crank.advert.v1.AdvertSnapshot.$Properties;
            }
        }
    }
}
