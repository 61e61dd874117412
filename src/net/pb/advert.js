/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["crank_advert"] || ($protobuf.roots["crank_advert"] = {});

export const crank = $root.crank = (() => {

    /**
     * Namespace crank.
     * @exports crank
     * @namespace
     */
    const crank = {};

    crank.advert = (function() {

        /**
         * Namespace advert.
         * @memberof crank
         * @namespace
         */
        const advert = {};

        advert.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof crank.advert
             * @namespace
             */
            const v1 = {};

            v1.CapabilityAd = (function() {

                /**
                 * Properties of a CapabilityAd.
                 * @typedef {Object} crank.advert.v1.CapabilityAd.$Properties
                 * @property {string|null} [id] CapabilityAd id
                 * @property {string|null} [version] CapabilityAd version
                 * @property {Array.<string>|null} [tags] CapabilityAd tags
                 * @property {boolean|null} [gpu] CapabilityAd gpu
                 * @property {number|null} [concurrency] CapabilityAd concurrency
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a CapabilityAd.
                 * @memberof crank.advert.v1
                 * @interface ICapabilityAd
                 * @augments crank.advert.v1.CapabilityAd.$Properties
                 * @deprecated Use crank.advert.v1.CapabilityAd.$Properties instead.
                 */

                /**
                 * Shape of a CapabilityAd.
                 * @typedef {crank.advert.v1.CapabilityAd.$Properties} crank.advert.v1.CapabilityAd.$Shape
                 */

                /**
                 * Constructs a new CapabilityAd.
                 * @memberof crank.advert.v1
                 * @classdesc Represents a CapabilityAd.
                 * @constructor
                 * @param {crank.advert.v1.CapabilityAd.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const CapabilityAd = function (properties) {
                    this.tags = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * CapabilityAd id.
                 * @member {string} id
                 * @memberof crank.advert.v1.CapabilityAd
                 * @instance
                 */
                CapabilityAd.prototype.id = "";

                /**
                 * CapabilityAd version.
                 * @member {string} version
                 * @memberof crank.advert.v1.CapabilityAd
                 * @instance
                 */
                CapabilityAd.prototype.version = "";

                /**
                 * CapabilityAd tags.
                 * @member {Array.<string>} tags
                 * @memberof crank.advert.v1.CapabilityAd
                 * @instance
                 */
                CapabilityAd.prototype.tags = $util.emptyArray;

                /**
                 * CapabilityAd gpu.
                 * @member {boolean} gpu
                 * @memberof crank.advert.v1.CapabilityAd
                 * @instance
                 */
                CapabilityAd.prototype.gpu = false;

                /**
                 * CapabilityAd concurrency.
                 * @member {number} concurrency
                 * @memberof crank.advert.v1.CapabilityAd
                 * @instance
                 */
                CapabilityAd.prototype.concurrency = 0;

                /**
                 * Creates a new CapabilityAd instance using the specified properties.
                 * @function create
                 * @memberof crank.advert.v1.CapabilityAd
                 * @static
                 * @param {crank.advert.v1.CapabilityAd.$Properties=} [properties] Properties to set
                 * @returns {crank.advert.v1.CapabilityAd} CapabilityAd instance
                 * @type {{
                 *   (properties: crank.advert.v1.CapabilityAd.$Shape): crank.advert.v1.CapabilityAd & crank.advert.v1.CapabilityAd.$Shape;
                 *   (properties?: crank.advert.v1.CapabilityAd.$Properties): crank.advert.v1.CapabilityAd;
                 * }}
                 */
                CapabilityAd.create = function(properties) {
                    return new CapabilityAd(properties);
                };

                /**
                 * Encodes the specified CapabilityAd message. Does not implicitly {@link crank.advert.v1.CapabilityAd.verify|verify} messages.
                 * @function encode
                 * @memberof crank.advert.v1.CapabilityAd
                 * @static
                 * @param {crank.advert.v1.CapabilityAd.$Properties} message CapabilityAd message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                CapabilityAd.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.id);
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version") && message.version !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.version);
                    if (message.tags != null && message.tags.length)
                        for (let i = 0; i < message.tags.length; ++i)
                            writer.uint32(/* id 3, wireType 2 =*/26).string(message.tags[i]);
                    if (message.gpu != null && $Object.hasOwnProperty.call(message, "gpu") && message.gpu !== false)
                        writer.uint32(/* id 4, wireType 0 =*/32).bool(message.gpu);
                    if (message.concurrency != null && $Object.hasOwnProperty.call(message, "concurrency") && message.concurrency !== 0)
                        writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.concurrency);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a CapabilityAd message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.advert.v1.CapabilityAd
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.advert.v1.CapabilityAd & crank.advert.v1.CapabilityAd.$Shape} CapabilityAd
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                CapabilityAd.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.advert.v1.CapabilityAd();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.id = value;
                                else
                                    delete message.id;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.version = value;
                                else
                                    delete message.version;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.tags && message.tags.length))
                                    message.tags = [];
                                message.tags.push(reader.stringVerify());
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.gpu = value;
                                else
                                    delete message.gpu;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.concurrency = value;
                                else
                                    delete message.concurrency;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Gets the type url for CapabilityAd
                 * @function getTypeUrl
                 * @memberof crank.advert.v1.CapabilityAd
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                CapabilityAd.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.advert.v1.CapabilityAd";
                };

                return CapabilityAd;
            })();

            v1.Load = (function() {

                /**
                 * Properties of a Load.
                 * @typedef {Object} crank.advert.v1.Load.$Properties
                 * @property {number|null} [inFlight] Load inFlight
                 * @property {number|null} [queued] Load queued
                 * @property {number|null} [capacity] Load capacity
                 * @property {number|null} [cpu] Load cpu
                 * @property {number|null} [memoryBytes] Load memoryBytes
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Load.
                 * @memberof crank.advert.v1
                 * @interface ILoad
                 * @augments crank.advert.v1.Load.$Properties
                 * @deprecated Use crank.advert.v1.Load.$Properties instead.
                 */

                /**
                 * Shape of a Load.
                 * @typedef {crank.advert.v1.Load.$Properties} crank.advert.v1.Load.$Shape
                 */

                /**
                 * Constructs a new Load.
                 * @memberof crank.advert.v1
                 * @classdesc Represents a Load.
                 * @constructor
                 * @param {crank.advert.v1.Load.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Load = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Load inFlight.
                 * @member {number} inFlight
                 * @memberof crank.advert.v1.Load
                 * @instance
                 */
                Load.prototype.inFlight = 0;

                /**
                 * Load queued.
                 * @member {number} queued
                 * @memberof crank.advert.v1.Load
                 * @instance
                 */
                Load.prototype.queued = 0;

                /**
                 * Load capacity.
                 * @member {number} capacity
                 * @memberof crank.advert.v1.Load
                 * @instance
                 */
                Load.prototype.capacity = 0;

                /**
                 * Load cpu.
                 * @member {number} cpu
                 * @memberof crank.advert.v1.Load
                 * @instance
                 */
                Load.prototype.cpu = 0;

                /**
                 * Load memoryBytes.
                 * @member {number} memoryBytes
                 * @memberof crank.advert.v1.Load
                 * @instance
                 */
                Load.prototype.memoryBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Creates a new Load instance using the specified properties.
                 * @function create
                 * @memberof crank.advert.v1.Load
                 * @static
                 * @param {crank.advert.v1.Load.$Properties=} [properties] Properties to set
                 * @returns {crank.advert.v1.Load} Load instance
                 * @type {{
                 *   (properties: crank.advert.v1.Load.$Shape): crank.advert.v1.Load & crank.advert.v1.Load.$Shape;
                 *   (properties?: crank.advert.v1.Load.$Properties): crank.advert.v1.Load;
                 * }}
                 */
                Load.create = function(properties) {
                    return new Load(properties);
                };

                /**
                 * Encodes the specified Load message. Does not implicitly {@link crank.advert.v1.Load.verify|verify} messages.
                 * @function encode
                 * @memberof crank.advert.v1.Load
                 * @static
                 * @param {crank.advert.v1.Load.$Properties} message Load message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Load.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.inFlight != null && $Object.hasOwnProperty.call(message, "inFlight") && message.inFlight !== 0)
                        writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.inFlight);
                    if (message.queued != null && $Object.hasOwnProperty.call(message, "queued") && message.queued !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.queued);
                    if (message.capacity != null && $Object.hasOwnProperty.call(message, "capacity") && message.capacity !== 0)
                        writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.capacity);
                    if (message.cpu != null && $Object.hasOwnProperty.call(message, "cpu") && !$Object.is(message.cpu, 0))
                        writer.uint32(/* id 4, wireType 1 =*/33).double(message.cpu);
                    if (message.memoryBytes != null && $Object.hasOwnProperty.call(message, "memoryBytes") && (typeof message.memoryBytes === "object" ? message.memoryBytes.low || message.memoryBytes.high : message.memoryBytes !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.memoryBytes);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Load message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.advert.v1.Load
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.advert.v1.Load & crank.advert.v1.Load.$Shape} Load
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Load.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.advert.v1.Load();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.inFlight = value;
                                else
                                    delete message.inFlight;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.queued = value;
                                else
                                    delete message.queued;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.capacity = value;
                                else
                                    delete message.capacity;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.cpu = value;
                                else
                                    delete message.cpu;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.memoryBytes = value;
                                else
                                    delete message.memoryBytes;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Gets the type url for Load
                 * @function getTypeUrl
                 * @memberof crank.advert.v1.Load
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Load.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.advert.v1.Load";
                };

                return Load;
            })();

            v1.Advert = (function() {

                /**
                 * Properties of an Advert.
                 * @typedef {Object} crank.advert.v1.Advert.$Properties
                 * @property {number|null} [seq] Advert seq
                 * @property {number|null} [timestampMs] Advert timestampMs
                 * @property {string|null} [name] Advert name
                 * @property {string|null} [health] Advert health
                 * @property {number|null} [heartbeatMs] Advert heartbeatMs
                 * @property {crank.advert.v1.Load.$Properties|null} [load] Advert load
                 * @property {Array.<crank.advert.v1.CapabilityAd.$Properties>|null} [capabilities] Advert capabilities
                 * @property {Array.<Uint8Array>|null} [addrs] Advert addrs
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an Advert.
                 * @memberof crank.advert.v1
                 * @interface IAdvert
                 * @augments crank.advert.v1.Advert.$Properties
                 * @deprecated Use crank.advert.v1.Advert.$Properties instead.
                 */

                /**
                 * Shape of an Advert.
                 * @typedef {crank.advert.v1.Advert.$Properties} crank.advert.v1.Advert.$Shape
                 */

                /**
                 * Constructs a new Advert.
                 * @memberof crank.advert.v1
                 * @classdesc Represents an Advert.
                 * @constructor
                 * @param {crank.advert.v1.Advert.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Advert = function (properties) {
                    this.capabilities = [];
                    this.addrs = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Advert seq.
                 * @member {number} seq
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Advert timestampMs.
                 * @member {number} timestampMs
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.timestampMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Advert name.
                 * @member {string} name
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.name = "";

                /**
                 * Advert health.
                 * @member {string} health
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.health = "";

                /**
                 * Advert heartbeatMs.
                 * @member {number} heartbeatMs
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.heartbeatMs = 0;

                /**
                 * Advert load.
                 * @member {crank.advert.v1.Load.$Properties|null|undefined} load
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.load = null;

                /**
                 * Advert capabilities.
                 * @member {Array.<crank.advert.v1.CapabilityAd.$Properties>} capabilities
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.capabilities = $util.emptyArray;

                /**
                 * Advert addrs.
                 * @member {Array.<Uint8Array>} addrs
                 * @memberof crank.advert.v1.Advert
                 * @instance
                 */
                Advert.prototype.addrs = $util.emptyArray;

                /**
                 * Creates a new Advert instance using the specified properties.
                 * @function create
                 * @memberof crank.advert.v1.Advert
                 * @static
                 * @param {crank.advert.v1.Advert.$Properties=} [properties] Properties to set
                 * @returns {crank.advert.v1.Advert} Advert instance
                 * @type {{
                 *   (properties: crank.advert.v1.Advert.$Shape): crank.advert.v1.Advert & crank.advert.v1.Advert.$Shape;
                 *   (properties?: crank.advert.v1.Advert.$Properties): crank.advert.v1.Advert;
                 * }}
                 */
                Advert.create = function(properties) {
                    return new Advert(properties);
                };

                /**
                 * Encodes the specified Advert message. Does not implicitly {@link crank.advert.v1.Advert.verify|verify} messages.
                 * @function encode
                 * @memberof crank.advert.v1.Advert
                 * @static
                 * @param {crank.advert.v1.Advert.$Properties} message Advert message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Advert.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.seq);
                    if (message.timestampMs != null && $Object.hasOwnProperty.call(message, "timestampMs") && (typeof message.timestampMs === "object" ? message.timestampMs.low || message.timestampMs.high : message.timestampMs !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.timestampMs);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.name);
                    if (message.health != null && $Object.hasOwnProperty.call(message, "health") && message.health !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.health);
                    if (message.heartbeatMs != null && $Object.hasOwnProperty.call(message, "heartbeatMs") && message.heartbeatMs !== 0)
                        writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.heartbeatMs);
                    if (message.load != null && $Object.hasOwnProperty.call(message, "load"))
                        $root.crank.advert.v1.Load.encode(message.load, writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                    if (message.capabilities != null && message.capabilities.length)
                        for (let i = 0; i < message.capabilities.length; ++i)
                            $root.crank.advert.v1.CapabilityAd.encode(message.capabilities[i], writer.uint32(/* id 7, wireType 2 =*/58).fork(), _depth + 1).ldelim();
                    if (message.addrs != null && message.addrs.length)
                        for (let i = 0; i < message.addrs.length; ++i)
                            writer.uint32(/* id 8, wireType 2 =*/66).bytes(message.addrs[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an Advert message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.advert.v1.Advert
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.advert.v1.Advert & crank.advert.v1.Advert.$Shape} Advert
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Advert.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.advert.v1.Advert();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.seq = value;
                                else
                                    delete message.seq;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.timestampMs = value;
                                else
                                    delete message.timestampMs;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.health = value;
                                else
                                    delete message.health;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.heartbeatMs = value;
                                else
                                    delete message.heartbeatMs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                message.load = $root.crank.advert.v1.Load.decode(reader, reader.size(), $undefined, _depth + 1, message.load);
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.capabilities && message.capabilities.length))
                                    message.capabilities = [];
                                message.capabilities.push($root.crank.advert.v1.CapabilityAd.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        case 8: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.addrs && message.addrs.length))
                                    message.addrs = [];
                                message.addrs.push(reader.bytes());
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Gets the type url for Advert
                 * @function getTypeUrl
                 * @memberof crank.advert.v1.Advert
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Advert.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.advert.v1.Advert";
                };

                return Advert;
            })();

            v1.SnapshotEntry = (function() {

                /**
                 * Properties of a SnapshotEntry.
                 * @typedef {Object} crank.advert.v1.SnapshotEntry.$Properties
                 * @property {string|null} [peer] SnapshotEntry peer
                 * @property {Uint8Array|null} [advert] SnapshotEntry advert
                 * @property {number|null} [ageMs] SnapshotEntry ageMs
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SnapshotEntry.
                 * @memberof crank.advert.v1
                 * @interface ISnapshotEntry
                 * @augments crank.advert.v1.SnapshotEntry.$Properties
                 * @deprecated Use crank.advert.v1.SnapshotEntry.$Properties instead.
                 */

                /**
                 * Shape of a SnapshotEntry.
                 * @typedef {crank.advert.v1.SnapshotEntry.$Properties} crank.advert.v1.SnapshotEntry.$Shape
                 */

                /**
                 * Constructs a new SnapshotEntry.
                 * @memberof crank.advert.v1
                 * @classdesc Represents a SnapshotEntry.
                 * @constructor
                 * @param {crank.advert.v1.SnapshotEntry.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SnapshotEntry = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SnapshotEntry peer.
                 * @member {string} peer
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @instance
                 */
                SnapshotEntry.prototype.peer = "";

                /**
                 * SnapshotEntry advert.
                 * @member {Uint8Array} advert
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @instance
                 */
                SnapshotEntry.prototype.advert = $util.newBuffer([]);

                /**
                 * SnapshotEntry ageMs.
                 * @member {number} ageMs
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @instance
                 */
                SnapshotEntry.prototype.ageMs = 0;

                /**
                 * Creates a new SnapshotEntry instance using the specified properties.
                 * @function create
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @static
                 * @param {crank.advert.v1.SnapshotEntry.$Properties=} [properties] Properties to set
                 * @returns {crank.advert.v1.SnapshotEntry} SnapshotEntry instance
                 * @type {{
                 *   (properties: crank.advert.v1.SnapshotEntry.$Shape): crank.advert.v1.SnapshotEntry & crank.advert.v1.SnapshotEntry.$Shape;
                 *   (properties?: crank.advert.v1.SnapshotEntry.$Properties): crank.advert.v1.SnapshotEntry;
                 * }}
                 */
                SnapshotEntry.create = function(properties) {
                    return new SnapshotEntry(properties);
                };

                /**
                 * Encodes the specified SnapshotEntry message. Does not implicitly {@link crank.advert.v1.SnapshotEntry.verify|verify} messages.
                 * @function encode
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @static
                 * @param {crank.advert.v1.SnapshotEntry.$Properties} message SnapshotEntry message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SnapshotEntry.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.peer != null && $Object.hasOwnProperty.call(message, "peer") && message.peer !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.peer);
                    if (message.advert != null && $Object.hasOwnProperty.call(message, "advert") && message.advert.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.advert);
                    if (message.ageMs != null && $Object.hasOwnProperty.call(message, "ageMs") && message.ageMs !== 0)
                        writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.ageMs);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SnapshotEntry message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.advert.v1.SnapshotEntry & crank.advert.v1.SnapshotEntry.$Shape} SnapshotEntry
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SnapshotEntry.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.advert.v1.SnapshotEntry();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.peer = value;
                                else
                                    delete message.peer;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.advert = value;
                                else
                                    delete message.advert;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.ageMs = value;
                                else
                                    delete message.ageMs;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Gets the type url for SnapshotEntry
                 * @function getTypeUrl
                 * @memberof crank.advert.v1.SnapshotEntry
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                SnapshotEntry.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.advert.v1.SnapshotEntry";
                };

                return SnapshotEntry;
            })();

            v1.AdvertSnapshot = (function() {

                /**
                 * Properties of an AdvertSnapshot.
                 * @typedef {Object} crank.advert.v1.AdvertSnapshot.$Properties
                 * @property {Array.<crank.advert.v1.SnapshotEntry.$Properties>|null} [entries] AdvertSnapshot entries
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an AdvertSnapshot.
                 * @memberof crank.advert.v1
                 * @interface IAdvertSnapshot
                 * @augments crank.advert.v1.AdvertSnapshot.$Properties
                 * @deprecated Use crank.advert.v1.AdvertSnapshot.$Properties instead.
                 */

                /**
                 * Shape of an AdvertSnapshot.
                 * @typedef {crank.advert.v1.AdvertSnapshot.$Properties} crank.advert.v1.AdvertSnapshot.$Shape
                 */

                /**
                 * Constructs a new AdvertSnapshot.
                 * @memberof crank.advert.v1
                 * @classdesc Represents an AdvertSnapshot.
                 * @constructor
                 * @param {crank.advert.v1.AdvertSnapshot.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const AdvertSnapshot = function (properties) {
                    this.entries = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * AdvertSnapshot entries.
                 * @member {Array.<crank.advert.v1.SnapshotEntry.$Properties>} entries
                 * @memberof crank.advert.v1.AdvertSnapshot
                 * @instance
                 */
                AdvertSnapshot.prototype.entries = $util.emptyArray;

                /**
                 * Creates a new AdvertSnapshot instance using the specified properties.
                 * @function create
                 * @memberof crank.advert.v1.AdvertSnapshot
                 * @static
                 * @param {crank.advert.v1.AdvertSnapshot.$Properties=} [properties] Properties to set
                 * @returns {crank.advert.v1.AdvertSnapshot} AdvertSnapshot instance
                 * @type {{
                 *   (properties: crank.advert.v1.AdvertSnapshot.$Shape): crank.advert.v1.AdvertSnapshot & crank.advert.v1.AdvertSnapshot.$Shape;
                 *   (properties?: crank.advert.v1.AdvertSnapshot.$Properties): crank.advert.v1.AdvertSnapshot;
                 * }}
                 */
                AdvertSnapshot.create = function(properties) {
                    return new AdvertSnapshot(properties);
                };

                /**
                 * Encodes the specified AdvertSnapshot message. Does not implicitly {@link crank.advert.v1.AdvertSnapshot.verify|verify} messages.
                 * @function encode
                 * @memberof crank.advert.v1.AdvertSnapshot
                 * @static
                 * @param {crank.advert.v1.AdvertSnapshot.$Properties} message AdvertSnapshot message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                AdvertSnapshot.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.entries != null && message.entries.length)
                        for (let i = 0; i < message.entries.length; ++i)
                            $root.crank.advert.v1.SnapshotEntry.encode(message.entries[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an AdvertSnapshot message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.advert.v1.AdvertSnapshot
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.advert.v1.AdvertSnapshot & crank.advert.v1.AdvertSnapshot.$Shape} AdvertSnapshot
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                AdvertSnapshot.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.advert.v1.AdvertSnapshot();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.entries && message.entries.length))
                                    message.entries = [];
                                message.entries.push($root.crank.advert.v1.SnapshotEntry.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Gets the type url for AdvertSnapshot
                 * @function getTypeUrl
                 * @memberof crank.advert.v1.AdvertSnapshot
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                AdvertSnapshot.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.advert.v1.AdvertSnapshot";
                };

                return AdvertSnapshot;
            })();

            return v1;
        })();

        return advert;
    })();

    return crank;
})();

export {
  $root as default
};
