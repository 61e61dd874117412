/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["crank_job"] || ($protobuf.roots["crank_job"] = {});

export const crank = $root.crank = (() => {

    /**
     * Namespace crank.
     * @exports crank
     * @namespace
     */
    const crank = {};

    crank.job = (function() {

        /**
         * Namespace job.
         * @memberof crank
         * @namespace
         */
        const job = {};

        job.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof crank.job
             * @namespace
             */
            const v1 = {};

            v1.Submit = (function() {

                /**
                 * Properties of a Submit.
                 * @typedef {Object} crank.job.v1.Submit.$Properties
                 * @property {string|null} [jobId] Submit jobId
                 * @property {string|null} [capability] Submit capability
                 * @property {string|null} [versionRange] Submit versionRange
                 * @property {Uint8Array|null} [paramsJson] Submit paramsJson
                 * @property {number|null} [deadlineMs] Submit deadlineMs
                 * @property {boolean|null} [hasInput] Submit hasInput
                 * @property {Object.<string,string>|null} [meta] Submit meta
                 * @property {string|null} [priority] Submit priority
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Submit.
                 * @memberof crank.job.v1
                 * @interface ISubmit
                 * @augments crank.job.v1.Submit.$Properties
                 * @deprecated Use crank.job.v1.Submit.$Properties instead.
                 */

                /**
                 * Shape of a Submit.
                 * @typedef {crank.job.v1.Submit.$Properties} crank.job.v1.Submit.$Shape
                 */

                /**
                 * Constructs a new Submit.
                 * @memberof crank.job.v1
                 * @classdesc Represents a Submit.
                 * @constructor
                 * @param {crank.job.v1.Submit.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Submit = function (properties) {
                    this.meta = {};
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Submit jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.jobId = "";

                /**
                 * Submit capability.
                 * @member {string} capability
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.capability = "";

                /**
                 * Submit versionRange.
                 * @member {string} versionRange
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.versionRange = "";

                /**
                 * Submit paramsJson.
                 * @member {Uint8Array} paramsJson
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.paramsJson = $util.newBuffer([]);

                /**
                 * Submit deadlineMs.
                 * @member {number} deadlineMs
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.deadlineMs = 0;

                /**
                 * Submit hasInput.
                 * @member {boolean} hasInput
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.hasInput = false;

                /**
                 * Submit meta.
                 * @member {Object.<string,string>} meta
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.meta = $util.emptyObject;

                /**
                 * Submit priority.
                 * @member {string} priority
                 * @memberof crank.job.v1.Submit
                 * @instance
                 */
                Submit.prototype.priority = "";

                /**
                 * Creates a new Submit instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Submit
                 * @static
                 * @param {crank.job.v1.Submit.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Submit} Submit instance
                 * @type {{
                 *   (properties: crank.job.v1.Submit.$Shape): crank.job.v1.Submit & crank.job.v1.Submit.$Shape;
                 *   (properties?: crank.job.v1.Submit.$Properties): crank.job.v1.Submit;
                 * }}
                 */
                Submit.create = function(properties) {
                    return new Submit(properties);
                };

                /**
                 * Encodes the specified Submit message. Does not implicitly {@link crank.job.v1.Submit.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Submit
                 * @static
                 * @param {crank.job.v1.Submit.$Properties} message Submit message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Submit.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.capability != null && $Object.hasOwnProperty.call(message, "capability") && message.capability !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.capability);
                    if (message.versionRange != null && $Object.hasOwnProperty.call(message, "versionRange") && message.versionRange !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.versionRange);
                    if (message.paramsJson != null && $Object.hasOwnProperty.call(message, "paramsJson") && message.paramsJson.length)
                        writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.paramsJson);
                    if (message.deadlineMs != null && $Object.hasOwnProperty.call(message, "deadlineMs") && message.deadlineMs !== 0)
                        writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.deadlineMs);
                    if (message.hasInput != null && $Object.hasOwnProperty.call(message, "hasInput") && message.hasInput !== false)
                        writer.uint32(/* id 6, wireType 0 =*/48).bool(message.hasInput);
                    if (message.meta != null && $Object.hasOwnProperty.call(message, "meta"))
                        for (let keys = $Object.keys(message.meta), i = 0; i < keys.length; ++i)
                            writer.uint32(/* id 7, wireType 2 =*/58).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.meta[keys[i]]).ldelim();
                    if (message.priority != null && $Object.hasOwnProperty.call(message, "priority") && message.priority !== "")
                        writer.uint32(/* id 8, wireType 2 =*/66).string(message.priority);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Submit message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Submit
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Submit & crank.job.v1.Submit.$Shape} Submit
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Submit.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, key, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.crank.job.v1.Submit();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.capability = value;
                                else
                                    delete message.capability;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.versionRange = value;
                                else
                                    delete message.versionRange;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.paramsJson = value;
                                else
                                    delete message.paramsJson;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.deadlineMs = value;
                                else
                                    delete message.deadlineMs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.hasInput = value;
                                else
                                    delete message.hasInput;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if (message.meta === $util.emptyObject)
                                    message.meta = {};
                                let end2 = reader.size() + reader.pos;
                                if (end2 > reader.len)
                                    throw $RangeError("index out of range");
                                reader.len = end2;
                                key = "";
                                value = "";
                                while (reader.pos < end2) {
                                    let tag2 = reader.tag();
                                    wireType = tag2 & 7;
                                    switch (tag2 >>>= 3) {
                                    case 1:
                                        if (wireType !== 2)
                                            break;
                                        key = reader.stringVerify();
                                        continue;
                                    case 2:
                                        if (wireType !== 2)
                                            break;
                                        value = reader.stringVerify();
                                        continue;
                                    }
                                    reader.skipType(wireType, _depth, tag2);
                                }
                                if (reader.pos !== end2)
                                    throw $RangeError("index out of range");
                                reader.len = end;
                                if (key === "__proto__")
                                    $util.makeProp(message.meta, key);
                                message.meta[key] = value;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.priority = value;
                                else
                                    delete message.priority;
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
                 * Gets the type url for Submit
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Submit
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Submit.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Submit";
                };

                return Submit;
            })();

            v1.InputChunk = (function() {

                /**
                 * Properties of an InputChunk.
                 * @typedef {Object} crank.job.v1.InputChunk.$Properties
                 * @property {string|null} [jobId] InputChunk jobId
                 * @property {Uint8Array|null} [data] InputChunk data
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an InputChunk.
                 * @memberof crank.job.v1
                 * @interface IInputChunk
                 * @augments crank.job.v1.InputChunk.$Properties
                 * @deprecated Use crank.job.v1.InputChunk.$Properties instead.
                 */

                /**
                 * Shape of an InputChunk.
                 * @typedef {crank.job.v1.InputChunk.$Properties} crank.job.v1.InputChunk.$Shape
                 */

                /**
                 * Constructs a new InputChunk.
                 * @memberof crank.job.v1
                 * @classdesc Represents an InputChunk.
                 * @constructor
                 * @param {crank.job.v1.InputChunk.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const InputChunk = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * InputChunk jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.InputChunk
                 * @instance
                 */
                InputChunk.prototype.jobId = "";

                /**
                 * InputChunk data.
                 * @member {Uint8Array} data
                 * @memberof crank.job.v1.InputChunk
                 * @instance
                 */
                InputChunk.prototype.data = $util.newBuffer([]);

                /**
                 * Creates a new InputChunk instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.InputChunk
                 * @static
                 * @param {crank.job.v1.InputChunk.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.InputChunk} InputChunk instance
                 * @type {{
                 *   (properties: crank.job.v1.InputChunk.$Shape): crank.job.v1.InputChunk & crank.job.v1.InputChunk.$Shape;
                 *   (properties?: crank.job.v1.InputChunk.$Properties): crank.job.v1.InputChunk;
                 * }}
                 */
                InputChunk.create = function(properties) {
                    return new InputChunk(properties);
                };

                /**
                 * Encodes the specified InputChunk message. Does not implicitly {@link crank.job.v1.InputChunk.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.InputChunk
                 * @static
                 * @param {crank.job.v1.InputChunk.$Properties} message InputChunk message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                InputChunk.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.data != null && $Object.hasOwnProperty.call(message, "data") && message.data.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.data);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an InputChunk message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.InputChunk
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.InputChunk & crank.job.v1.InputChunk.$Shape} InputChunk
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                InputChunk.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.InputChunk();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.data = value;
                                else
                                    delete message.data;
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
                 * Gets the type url for InputChunk
                 * @function getTypeUrl
                 * @memberof crank.job.v1.InputChunk
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                InputChunk.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.InputChunk";
                };

                return InputChunk;
            })();

            v1.InputEnd = (function() {

                /**
                 * Properties of an InputEnd.
                 * @typedef {Object} crank.job.v1.InputEnd.$Properties
                 * @property {string|null} [jobId] InputEnd jobId
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an InputEnd.
                 * @memberof crank.job.v1
                 * @interface IInputEnd
                 * @augments crank.job.v1.InputEnd.$Properties
                 * @deprecated Use crank.job.v1.InputEnd.$Properties instead.
                 */

                /**
                 * Shape of an InputEnd.
                 * @typedef {crank.job.v1.InputEnd.$Properties} crank.job.v1.InputEnd.$Shape
                 */

                /**
                 * Constructs a new InputEnd.
                 * @memberof crank.job.v1
                 * @classdesc Represents an InputEnd.
                 * @constructor
                 * @param {crank.job.v1.InputEnd.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const InputEnd = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * InputEnd jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.InputEnd
                 * @instance
                 */
                InputEnd.prototype.jobId = "";

                /**
                 * Creates a new InputEnd instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.InputEnd
                 * @static
                 * @param {crank.job.v1.InputEnd.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.InputEnd} InputEnd instance
                 * @type {{
                 *   (properties: crank.job.v1.InputEnd.$Shape): crank.job.v1.InputEnd & crank.job.v1.InputEnd.$Shape;
                 *   (properties?: crank.job.v1.InputEnd.$Properties): crank.job.v1.InputEnd;
                 * }}
                 */
                InputEnd.create = function(properties) {
                    return new InputEnd(properties);
                };

                /**
                 * Encodes the specified InputEnd message. Does not implicitly {@link crank.job.v1.InputEnd.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.InputEnd
                 * @static
                 * @param {crank.job.v1.InputEnd.$Properties} message InputEnd message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                InputEnd.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an InputEnd message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.InputEnd
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.InputEnd & crank.job.v1.InputEnd.$Shape} InputEnd
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                InputEnd.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.InputEnd();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
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
                 * Gets the type url for InputEnd
                 * @function getTypeUrl
                 * @memberof crank.job.v1.InputEnd
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                InputEnd.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.InputEnd";
                };

                return InputEnd;
            })();

            v1.Cancel = (function() {

                /**
                 * Properties of a Cancel.
                 * @typedef {Object} crank.job.v1.Cancel.$Properties
                 * @property {string|null} [jobId] Cancel jobId
                 * @property {string|null} [reason] Cancel reason
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Cancel.
                 * @memberof crank.job.v1
                 * @interface ICancel
                 * @augments crank.job.v1.Cancel.$Properties
                 * @deprecated Use crank.job.v1.Cancel.$Properties instead.
                 */

                /**
                 * Shape of a Cancel.
                 * @typedef {crank.job.v1.Cancel.$Properties} crank.job.v1.Cancel.$Shape
                 */

                /**
                 * Constructs a new Cancel.
                 * @memberof crank.job.v1
                 * @classdesc Represents a Cancel.
                 * @constructor
                 * @param {crank.job.v1.Cancel.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Cancel = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Cancel jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Cancel
                 * @instance
                 */
                Cancel.prototype.jobId = "";

                /**
                 * Cancel reason.
                 * @member {string} reason
                 * @memberof crank.job.v1.Cancel
                 * @instance
                 */
                Cancel.prototype.reason = "";

                /**
                 * Creates a new Cancel instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Cancel
                 * @static
                 * @param {crank.job.v1.Cancel.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Cancel} Cancel instance
                 * @type {{
                 *   (properties: crank.job.v1.Cancel.$Shape): crank.job.v1.Cancel & crank.job.v1.Cancel.$Shape;
                 *   (properties?: crank.job.v1.Cancel.$Properties): crank.job.v1.Cancel;
                 * }}
                 */
                Cancel.create = function(properties) {
                    return new Cancel(properties);
                };

                /**
                 * Encodes the specified Cancel message. Does not implicitly {@link crank.job.v1.Cancel.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Cancel
                 * @static
                 * @param {crank.job.v1.Cancel.$Properties} message Cancel message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Cancel.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.reason);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Cancel message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Cancel
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Cancel & crank.job.v1.Cancel.$Shape} Cancel
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Cancel.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Cancel();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reason = value;
                                else
                                    delete message.reason;
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
                 * Gets the type url for Cancel
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Cancel
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Cancel.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Cancel";
                };

                return Cancel;
            })();

            v1.ClientFrame = (function() {

                /**
                 * Properties of a ClientFrame.
                 * @typedef {Object} crank.job.v1.ClientFrame.$Properties
                 * @property {crank.job.v1.Submit.$Properties|null} [submit] ClientFrame submit
                 * @property {crank.job.v1.InputChunk.$Properties|null} [inputChunk] ClientFrame inputChunk
                 * @property {crank.job.v1.InputEnd.$Properties|null} [inputEnd] ClientFrame inputEnd
                 * @property {crank.job.v1.Cancel.$Properties|null} [cancel] ClientFrame cancel
                 * @property {"submit"|"inputChunk"|"inputEnd"|"cancel"} [frame] ClientFrame frame
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a ClientFrame.
                 * @memberof crank.job.v1
                 * @interface IClientFrame
                 * @augments crank.job.v1.ClientFrame.$Properties
                 * @deprecated Use crank.job.v1.ClientFrame.$Properties instead.
                 */

                /**
                 * Narrowed shape of a ClientFrame.
                 * @typedef {{
                 *   submit?: crank.job.v1.Submit.$Shape|null;
                 *   inputChunk?: crank.job.v1.InputChunk.$Shape|null;
                 *   inputEnd?: crank.job.v1.InputEnd.$Shape|null;
                 *   cancel?: crank.job.v1.Cancel.$Shape|null;
                 *   $unknowns?: Array.<Uint8Array>;
                 * } & (
                 *   ({ frame?: undefined; submit?: null; inputChunk?: null; inputEnd?: null; cancel?: null }|{ frame?: "submit"; submit: crank.job.v1.Submit.$Shape; inputChunk?: null; inputEnd?: null; cancel?: null }|{ frame?: "inputChunk"; submit?: null; inputChunk: crank.job.v1.InputChunk.$Shape; inputEnd?: null; cancel?: null }|{ frame?: "inputEnd"; submit?: null; inputChunk?: null; inputEnd: crank.job.v1.InputEnd.$Shape; cancel?: null }|{ frame?: "cancel"; submit?: null; inputChunk?: null; inputEnd?: null; cancel: crank.job.v1.Cancel.$Shape })
                 * )} crank.job.v1.ClientFrame.$Shape
                 */

                /**
                 * Constructs a new ClientFrame.
                 * @memberof crank.job.v1
                 * @classdesc Represents a ClientFrame.
                 * @constructor
                 * @param {crank.job.v1.ClientFrame.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const ClientFrame = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * ClientFrame submit.
                 * @member {crank.job.v1.Submit.$Properties|null|undefined} submit
                 * @memberof crank.job.v1.ClientFrame
                 * @instance
                 */
                ClientFrame.prototype.submit = null;

                /**
                 * ClientFrame inputChunk.
                 * @member {crank.job.v1.InputChunk.$Properties|null|undefined} inputChunk
                 * @memberof crank.job.v1.ClientFrame
                 * @instance
                 */
                ClientFrame.prototype.inputChunk = null;

                /**
                 * ClientFrame inputEnd.
                 * @member {crank.job.v1.InputEnd.$Properties|null|undefined} inputEnd
                 * @memberof crank.job.v1.ClientFrame
                 * @instance
                 */
                ClientFrame.prototype.inputEnd = null;

                /**
                 * ClientFrame cancel.
                 * @member {crank.job.v1.Cancel.$Properties|null|undefined} cancel
                 * @memberof crank.job.v1.ClientFrame
                 * @instance
                 */
                ClientFrame.prototype.cancel = null;

                // OneOf field names bound to virtual getters and setters
                let $oneOfFields;

                /**
                 * ClientFrame frame.
                 * @member {"submit"|"inputChunk"|"inputEnd"|"cancel"|undefined} frame
                 * @memberof crank.job.v1.ClientFrame
                 * @instance
                 */
                $Object.defineProperty(ClientFrame.prototype, "frame", {
                    get: $util.oneOfGetter($oneOfFields = ["submit", "inputChunk", "inputEnd", "cancel"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                /**
                 * Creates a new ClientFrame instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.ClientFrame
                 * @static
                 * @param {crank.job.v1.ClientFrame.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.ClientFrame} ClientFrame instance
                 * @type {{
                 *   (properties: crank.job.v1.ClientFrame.$Shape): crank.job.v1.ClientFrame & crank.job.v1.ClientFrame.$Shape;
                 *   (properties?: crank.job.v1.ClientFrame.$Properties): crank.job.v1.ClientFrame;
                 * }}
                 */
                ClientFrame.create = function(properties) {
                    return new ClientFrame(properties);
                };

                /**
                 * Encodes the specified ClientFrame message. Does not implicitly {@link crank.job.v1.ClientFrame.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.ClientFrame
                 * @static
                 * @param {crank.job.v1.ClientFrame.$Properties} message ClientFrame message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                ClientFrame.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.submit != null && $Object.hasOwnProperty.call(message, "submit"))
                        $root.crank.job.v1.Submit.encode(message.submit, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.inputChunk != null && $Object.hasOwnProperty.call(message, "inputChunk"))
                        $root.crank.job.v1.InputChunk.encode(message.inputChunk, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                    if (message.inputEnd != null && $Object.hasOwnProperty.call(message, "inputEnd"))
                        $root.crank.job.v1.InputEnd.encode(message.inputEnd, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                    if (message.cancel != null && $Object.hasOwnProperty.call(message, "cancel"))
                        $root.crank.job.v1.Cancel.encode(message.cancel, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a ClientFrame message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.ClientFrame
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.ClientFrame & crank.job.v1.ClientFrame.$Shape} ClientFrame
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                ClientFrame.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.ClientFrame();
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
                                message.submit = $root.crank.job.v1.Submit.decode(reader, reader.size(), $undefined, _depth + 1, message.submit);
                                message.frame = "submit";
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                message.inputChunk = $root.crank.job.v1.InputChunk.decode(reader, reader.size(), $undefined, _depth + 1, message.inputChunk);
                                message.frame = "inputChunk";
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                message.inputEnd = $root.crank.job.v1.InputEnd.decode(reader, reader.size(), $undefined, _depth + 1, message.inputEnd);
                                message.frame = "inputEnd";
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                message.cancel = $root.crank.job.v1.Cancel.decode(reader, reader.size(), $undefined, _depth + 1, message.cancel);
                                message.frame = "cancel";
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
                 * Gets the type url for ClientFrame
                 * @function getTypeUrl
                 * @memberof crank.job.v1.ClientFrame
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                ClientFrame.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.ClientFrame";
                };

                return ClientFrame;
            })();

            v1.Accepted = (function() {

                /**
                 * Properties of an Accepted.
                 * @typedef {Object} crank.job.v1.Accepted.$Properties
                 * @property {string|null} [jobId] Accepted jobId
                 * @property {string|null} [capabilityVersion] Accepted capabilityVersion
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an Accepted.
                 * @memberof crank.job.v1
                 * @interface IAccepted
                 * @augments crank.job.v1.Accepted.$Properties
                 * @deprecated Use crank.job.v1.Accepted.$Properties instead.
                 */

                /**
                 * Shape of an Accepted.
                 * @typedef {crank.job.v1.Accepted.$Properties} crank.job.v1.Accepted.$Shape
                 */

                /**
                 * Constructs a new Accepted.
                 * @memberof crank.job.v1
                 * @classdesc Represents an Accepted.
                 * @constructor
                 * @param {crank.job.v1.Accepted.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Accepted = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Accepted jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Accepted
                 * @instance
                 */
                Accepted.prototype.jobId = "";

                /**
                 * Accepted capabilityVersion.
                 * @member {string} capabilityVersion
                 * @memberof crank.job.v1.Accepted
                 * @instance
                 */
                Accepted.prototype.capabilityVersion = "";

                /**
                 * Creates a new Accepted instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Accepted
                 * @static
                 * @param {crank.job.v1.Accepted.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Accepted} Accepted instance
                 * @type {{
                 *   (properties: crank.job.v1.Accepted.$Shape): crank.job.v1.Accepted & crank.job.v1.Accepted.$Shape;
                 *   (properties?: crank.job.v1.Accepted.$Properties): crank.job.v1.Accepted;
                 * }}
                 */
                Accepted.create = function(properties) {
                    return new Accepted(properties);
                };

                /**
                 * Encodes the specified Accepted message. Does not implicitly {@link crank.job.v1.Accepted.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Accepted
                 * @static
                 * @param {crank.job.v1.Accepted.$Properties} message Accepted message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Accepted.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.capabilityVersion != null && $Object.hasOwnProperty.call(message, "capabilityVersion") && message.capabilityVersion !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.capabilityVersion);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an Accepted message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Accepted
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Accepted & crank.job.v1.Accepted.$Shape} Accepted
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Accepted.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Accepted();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.capabilityVersion = value;
                                else
                                    delete message.capabilityVersion;
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
                 * Gets the type url for Accepted
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Accepted
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Accepted.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Accepted";
                };

                return Accepted;
            })();

            v1.Rejected = (function() {

                /**
                 * Properties of a Rejected.
                 * @typedef {Object} crank.job.v1.Rejected.$Properties
                 * @property {string|null} [jobId] Rejected jobId
                 * @property {string|null} [code] Rejected code
                 * @property {string|null} [message] Rejected message
                 * @property {boolean|null} [retryable] Rejected retryable
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Rejected.
                 * @memberof crank.job.v1
                 * @interface IRejected
                 * @augments crank.job.v1.Rejected.$Properties
                 * @deprecated Use crank.job.v1.Rejected.$Properties instead.
                 */

                /**
                 * Shape of a Rejected.
                 * @typedef {crank.job.v1.Rejected.$Properties} crank.job.v1.Rejected.$Shape
                 */

                /**
                 * Constructs a new Rejected.
                 * @memberof crank.job.v1
                 * @classdesc Represents a Rejected.
                 * @constructor
                 * @param {crank.job.v1.Rejected.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Rejected = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Rejected jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Rejected
                 * @instance
                 */
                Rejected.prototype.jobId = "";

                /**
                 * Rejected code.
                 * @member {string} code
                 * @memberof crank.job.v1.Rejected
                 * @instance
                 */
                Rejected.prototype.code = "";

                /**
                 * Rejected message.
                 * @member {string} message
                 * @memberof crank.job.v1.Rejected
                 * @instance
                 */
                Rejected.prototype.message = "";

                /**
                 * Rejected retryable.
                 * @member {boolean} retryable
                 * @memberof crank.job.v1.Rejected
                 * @instance
                 */
                Rejected.prototype.retryable = false;

                /**
                 * Creates a new Rejected instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Rejected
                 * @static
                 * @param {crank.job.v1.Rejected.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Rejected} Rejected instance
                 * @type {{
                 *   (properties: crank.job.v1.Rejected.$Shape): crank.job.v1.Rejected & crank.job.v1.Rejected.$Shape;
                 *   (properties?: crank.job.v1.Rejected.$Properties): crank.job.v1.Rejected;
                 * }}
                 */
                Rejected.create = function(properties) {
                    return new Rejected(properties);
                };

                /**
                 * Encodes the specified Rejected message. Does not implicitly {@link crank.job.v1.Rejected.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Rejected
                 * @static
                 * @param {crank.job.v1.Rejected.$Properties} message Rejected message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Rejected.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.code != null && $Object.hasOwnProperty.call(message, "code") && message.code !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.code);
                    if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.message);
                    if (message.retryable != null && $Object.hasOwnProperty.call(message, "retryable") && message.retryable !== false)
                        writer.uint32(/* id 4, wireType 0 =*/32).bool(message.retryable);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Rejected message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Rejected
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Rejected & crank.job.v1.Rejected.$Shape} Rejected
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Rejected.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Rejected();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.code = value;
                                else
                                    delete message.code;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.message = value;
                                else
                                    delete message.message;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.retryable = value;
                                else
                                    delete message.retryable;
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
                 * Gets the type url for Rejected
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Rejected
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Rejected.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Rejected";
                };

                return Rejected;
            })();

            v1.Progress = (function() {

                /**
                 * Properties of a Progress.
                 * @typedef {Object} crank.job.v1.Progress.$Properties
                 * @property {string|null} [jobId] Progress jobId
                 * @property {number|null} [done] Progress done
                 * @property {number|null} [total] Progress total
                 * @property {string|null} [message] Progress message
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Progress.
                 * @memberof crank.job.v1
                 * @interface IProgress
                 * @augments crank.job.v1.Progress.$Properties
                 * @deprecated Use crank.job.v1.Progress.$Properties instead.
                 */

                /**
                 * Shape of a Progress.
                 * @typedef {crank.job.v1.Progress.$Properties} crank.job.v1.Progress.$Shape
                 */

                /**
                 * Constructs a new Progress.
                 * @memberof crank.job.v1
                 * @classdesc Represents a Progress.
                 * @constructor
                 * @param {crank.job.v1.Progress.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Progress = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Progress jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Progress
                 * @instance
                 */
                Progress.prototype.jobId = "";

                /**
                 * Progress done.
                 * @member {number} done
                 * @memberof crank.job.v1.Progress
                 * @instance
                 */
                Progress.prototype.done = 0;

                /**
                 * Progress total.
                 * @member {number} total
                 * @memberof crank.job.v1.Progress
                 * @instance
                 */
                Progress.prototype.total = 0;

                /**
                 * Progress message.
                 * @member {string} message
                 * @memberof crank.job.v1.Progress
                 * @instance
                 */
                Progress.prototype.message = "";

                /**
                 * Creates a new Progress instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Progress
                 * @static
                 * @param {crank.job.v1.Progress.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Progress} Progress instance
                 * @type {{
                 *   (properties: crank.job.v1.Progress.$Shape): crank.job.v1.Progress & crank.job.v1.Progress.$Shape;
                 *   (properties?: crank.job.v1.Progress.$Properties): crank.job.v1.Progress;
                 * }}
                 */
                Progress.create = function(properties) {
                    return new Progress(properties);
                };

                /**
                 * Encodes the specified Progress message. Does not implicitly {@link crank.job.v1.Progress.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Progress
                 * @static
                 * @param {crank.job.v1.Progress.$Properties} message Progress message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Progress.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.done != null && $Object.hasOwnProperty.call(message, "done") && !$Object.is(message.done, 0))
                        writer.uint32(/* id 2, wireType 1 =*/17).double(message.done);
                    if (message.total != null && $Object.hasOwnProperty.call(message, "total") && !$Object.is(message.total, 0))
                        writer.uint32(/* id 3, wireType 1 =*/25).double(message.total);
                    if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.message);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Progress message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Progress
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Progress & crank.job.v1.Progress.$Shape} Progress
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Progress.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Progress();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.done = value;
                                else
                                    delete message.done;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.total = value;
                                else
                                    delete message.total;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.message = value;
                                else
                                    delete message.message;
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
                 * Gets the type url for Progress
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Progress
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Progress.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Progress";
                };

                return Progress;
            })();

            v1.OutputChunk = (function() {

                /**
                 * Properties of an OutputChunk.
                 * @typedef {Object} crank.job.v1.OutputChunk.$Properties
                 * @property {string|null} [jobId] OutputChunk jobId
                 * @property {Uint8Array|null} [data] OutputChunk data
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an OutputChunk.
                 * @memberof crank.job.v1
                 * @interface IOutputChunk
                 * @augments crank.job.v1.OutputChunk.$Properties
                 * @deprecated Use crank.job.v1.OutputChunk.$Properties instead.
                 */

                /**
                 * Shape of an OutputChunk.
                 * @typedef {crank.job.v1.OutputChunk.$Properties} crank.job.v1.OutputChunk.$Shape
                 */

                /**
                 * Constructs a new OutputChunk.
                 * @memberof crank.job.v1
                 * @classdesc Represents an OutputChunk.
                 * @constructor
                 * @param {crank.job.v1.OutputChunk.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const OutputChunk = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * OutputChunk jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.OutputChunk
                 * @instance
                 */
                OutputChunk.prototype.jobId = "";

                /**
                 * OutputChunk data.
                 * @member {Uint8Array} data
                 * @memberof crank.job.v1.OutputChunk
                 * @instance
                 */
                OutputChunk.prototype.data = $util.newBuffer([]);

                /**
                 * Creates a new OutputChunk instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.OutputChunk
                 * @static
                 * @param {crank.job.v1.OutputChunk.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.OutputChunk} OutputChunk instance
                 * @type {{
                 *   (properties: crank.job.v1.OutputChunk.$Shape): crank.job.v1.OutputChunk & crank.job.v1.OutputChunk.$Shape;
                 *   (properties?: crank.job.v1.OutputChunk.$Properties): crank.job.v1.OutputChunk;
                 * }}
                 */
                OutputChunk.create = function(properties) {
                    return new OutputChunk(properties);
                };

                /**
                 * Encodes the specified OutputChunk message. Does not implicitly {@link crank.job.v1.OutputChunk.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.OutputChunk
                 * @static
                 * @param {crank.job.v1.OutputChunk.$Properties} message OutputChunk message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                OutputChunk.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.data != null && $Object.hasOwnProperty.call(message, "data") && message.data.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.data);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an OutputChunk message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.OutputChunk
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.OutputChunk & crank.job.v1.OutputChunk.$Shape} OutputChunk
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                OutputChunk.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.OutputChunk();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.data = value;
                                else
                                    delete message.data;
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
                 * Gets the type url for OutputChunk
                 * @function getTypeUrl
                 * @memberof crank.job.v1.OutputChunk
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                OutputChunk.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.OutputChunk";
                };

                return OutputChunk;
            })();

            v1.Result = (function() {

                /**
                 * Properties of a Result.
                 * @typedef {Object} crank.job.v1.Result.$Properties
                 * @property {string|null} [jobId] Result jobId
                 * @property {Uint8Array|null} [resultJson] Result resultJson
                 * @property {string|null} [capabilityVersion] Result capabilityVersion
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Result.
                 * @memberof crank.job.v1
                 * @interface IResult
                 * @augments crank.job.v1.Result.$Properties
                 * @deprecated Use crank.job.v1.Result.$Properties instead.
                 */

                /**
                 * Shape of a Result.
                 * @typedef {crank.job.v1.Result.$Properties} crank.job.v1.Result.$Shape
                 */

                /**
                 * Constructs a new Result.
                 * @memberof crank.job.v1
                 * @classdesc Represents a Result.
                 * @constructor
                 * @param {crank.job.v1.Result.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Result = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Result jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Result
                 * @instance
                 */
                Result.prototype.jobId = "";

                /**
                 * Result resultJson.
                 * @member {Uint8Array} resultJson
                 * @memberof crank.job.v1.Result
                 * @instance
                 */
                Result.prototype.resultJson = $util.newBuffer([]);

                /**
                 * Result capabilityVersion.
                 * @member {string} capabilityVersion
                 * @memberof crank.job.v1.Result
                 * @instance
                 */
                Result.prototype.capabilityVersion = "";

                /**
                 * Creates a new Result instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Result
                 * @static
                 * @param {crank.job.v1.Result.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Result} Result instance
                 * @type {{
                 *   (properties: crank.job.v1.Result.$Shape): crank.job.v1.Result & crank.job.v1.Result.$Shape;
                 *   (properties?: crank.job.v1.Result.$Properties): crank.job.v1.Result;
                 * }}
                 */
                Result.create = function(properties) {
                    return new Result(properties);
                };

                /**
                 * Encodes the specified Result message. Does not implicitly {@link crank.job.v1.Result.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Result
                 * @static
                 * @param {crank.job.v1.Result.$Properties} message Result message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Result.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.resultJson != null && $Object.hasOwnProperty.call(message, "resultJson") && message.resultJson.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.resultJson);
                    if (message.capabilityVersion != null && $Object.hasOwnProperty.call(message, "capabilityVersion") && message.capabilityVersion !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.capabilityVersion);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Result message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Result
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Result & crank.job.v1.Result.$Shape} Result
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Result.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Result();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.resultJson = value;
                                else
                                    delete message.resultJson;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.capabilityVersion = value;
                                else
                                    delete message.capabilityVersion;
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
                 * Gets the type url for Result
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Result
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Result.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Result";
                };

                return Result;
            })();

            v1.Error = (function() {

                /**
                 * Properties of an Error.
                 * @typedef {Object} crank.job.v1.Error.$Properties
                 * @property {string|null} [jobId] Error jobId
                 * @property {string|null} [state] Error state
                 * @property {string|null} [code] Error code
                 * @property {string|null} [message] Error message
                 * @property {boolean|null} [retryable] Error retryable
                 * @property {string|null} [capabilityVersion] Error capabilityVersion
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an Error.
                 * @memberof crank.job.v1
                 * @interface IError
                 * @augments crank.job.v1.Error.$Properties
                 * @deprecated Use crank.job.v1.Error.$Properties instead.
                 */

                /**
                 * Shape of an Error.
                 * @typedef {crank.job.v1.Error.$Properties} crank.job.v1.Error.$Shape
                 */

                /**
                 * Constructs a new Error.
                 * @memberof crank.job.v1
                 * @classdesc Represents an Error.
                 * @constructor
                 * @param {crank.job.v1.Error.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Error = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Error jobId.
                 * @member {string} jobId
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.jobId = "";

                /**
                 * Error state.
                 * @member {string} state
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.state = "";

                /**
                 * Error code.
                 * @member {string} code
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.code = "";

                /**
                 * Error message.
                 * @member {string} message
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.message = "";

                /**
                 * Error retryable.
                 * @member {boolean} retryable
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.retryable = false;

                /**
                 * Error capabilityVersion.
                 * @member {string} capabilityVersion
                 * @memberof crank.job.v1.Error
                 * @instance
                 */
                Error.prototype.capabilityVersion = "";

                /**
                 * Creates a new Error instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.Error
                 * @static
                 * @param {crank.job.v1.Error.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.Error} Error instance
                 * @type {{
                 *   (properties: crank.job.v1.Error.$Shape): crank.job.v1.Error & crank.job.v1.Error.$Shape;
                 *   (properties?: crank.job.v1.Error.$Properties): crank.job.v1.Error;
                 * }}
                 */
                Error.create = function(properties) {
                    return new Error(properties);
                };

                /**
                 * Encodes the specified Error message. Does not implicitly {@link crank.job.v1.Error.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.Error
                 * @static
                 * @param {crank.job.v1.Error.$Properties} message Error message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Error.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.jobId != null && $Object.hasOwnProperty.call(message, "jobId") && message.jobId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.jobId);
                    if (message.state != null && $Object.hasOwnProperty.call(message, "state") && message.state !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.state);
                    if (message.code != null && $Object.hasOwnProperty.call(message, "code") && message.code !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.code);
                    if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.message);
                    if (message.retryable != null && $Object.hasOwnProperty.call(message, "retryable") && message.retryable !== false)
                        writer.uint32(/* id 5, wireType 0 =*/40).bool(message.retryable);
                    if (message.capabilityVersion != null && $Object.hasOwnProperty.call(message, "capabilityVersion") && message.capabilityVersion !== "")
                        writer.uint32(/* id 6, wireType 2 =*/50).string(message.capabilityVersion);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an Error message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.Error
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.Error & crank.job.v1.Error.$Shape} Error
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Error.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.Error();
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
                                    message.jobId = value;
                                else
                                    delete message.jobId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.state = value;
                                else
                                    delete message.state;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.code = value;
                                else
                                    delete message.code;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.message = value;
                                else
                                    delete message.message;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.retryable = value;
                                else
                                    delete message.retryable;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.capabilityVersion = value;
                                else
                                    delete message.capabilityVersion;
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
                 * Gets the type url for Error
                 * @function getTypeUrl
                 * @memberof crank.job.v1.Error
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Error.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.Error";
                };

                return Error;
            })();

            v1.ServerFrame = (function() {

                /**
                 * Properties of a ServerFrame.
                 * @typedef {Object} crank.job.v1.ServerFrame.$Properties
                 * @property {crank.job.v1.Accepted.$Properties|null} [accepted] ServerFrame accepted
                 * @property {crank.job.v1.Rejected.$Properties|null} [rejected] ServerFrame rejected
                 * @property {crank.job.v1.Progress.$Properties|null} [progress] ServerFrame progress
                 * @property {crank.job.v1.OutputChunk.$Properties|null} [outputChunk] ServerFrame outputChunk
                 * @property {crank.job.v1.Result.$Properties|null} [result] ServerFrame result
                 * @property {crank.job.v1.Error.$Properties|null} [error] ServerFrame error
                 * @property {"accepted"|"rejected"|"progress"|"outputChunk"|"result"|"error"} [frame] ServerFrame frame
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a ServerFrame.
                 * @memberof crank.job.v1
                 * @interface IServerFrame
                 * @augments crank.job.v1.ServerFrame.$Properties
                 * @deprecated Use crank.job.v1.ServerFrame.$Properties instead.
                 */

                /**
                 * Narrowed shape of a ServerFrame.
                 * @typedef {{
                 *   accepted?: crank.job.v1.Accepted.$Shape|null;
                 *   rejected?: crank.job.v1.Rejected.$Shape|null;
                 *   progress?: crank.job.v1.Progress.$Shape|null;
                 *   outputChunk?: crank.job.v1.OutputChunk.$Shape|null;
                 *   result?: crank.job.v1.Result.$Shape|null;
                 *   error?: crank.job.v1.Error.$Shape|null;
                 *   $unknowns?: Array.<Uint8Array>;
                 * } & (
                 *   ({ frame?: undefined; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "accepted"; accepted: crank.job.v1.Accepted.$Shape; rejected?: null; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "rejected"; accepted?: null; rejected: crank.job.v1.Rejected.$Shape; progress?: null; outputChunk?: null; result?: null; error?: null }|{ frame?: "progress"; accepted?: null; rejected?: null; progress: crank.job.v1.Progress.$Shape; outputChunk?: null; result?: null; error?: null }|{ frame?: "outputChunk"; accepted?: null; rejected?: null; progress?: null; outputChunk: crank.job.v1.OutputChunk.$Shape; result?: null; error?: null }|{ frame?: "result"; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result: crank.job.v1.Result.$Shape; error?: null }|{ frame?: "error"; accepted?: null; rejected?: null; progress?: null; outputChunk?: null; result?: null; error: crank.job.v1.Error.$Shape })
                 * )} crank.job.v1.ServerFrame.$Shape
                 */

                /**
                 * Constructs a new ServerFrame.
                 * @memberof crank.job.v1
                 * @classdesc Represents a ServerFrame.
                 * @constructor
                 * @param {crank.job.v1.ServerFrame.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const ServerFrame = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * ServerFrame accepted.
                 * @member {crank.job.v1.Accepted.$Properties|null|undefined} accepted
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.accepted = null;

                /**
                 * ServerFrame rejected.
                 * @member {crank.job.v1.Rejected.$Properties|null|undefined} rejected
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.rejected = null;

                /**
                 * ServerFrame progress.
                 * @member {crank.job.v1.Progress.$Properties|null|undefined} progress
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.progress = null;

                /**
                 * ServerFrame outputChunk.
                 * @member {crank.job.v1.OutputChunk.$Properties|null|undefined} outputChunk
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.outputChunk = null;

                /**
                 * ServerFrame result.
                 * @member {crank.job.v1.Result.$Properties|null|undefined} result
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.result = null;

                /**
                 * ServerFrame error.
                 * @member {crank.job.v1.Error.$Properties|null|undefined} error
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                ServerFrame.prototype.error = null;

                // OneOf field names bound to virtual getters and setters
                let $oneOfFields;

                /**
                 * ServerFrame frame.
                 * @member {"accepted"|"rejected"|"progress"|"outputChunk"|"result"|"error"|undefined} frame
                 * @memberof crank.job.v1.ServerFrame
                 * @instance
                 */
                $Object.defineProperty(ServerFrame.prototype, "frame", {
                    get: $util.oneOfGetter($oneOfFields = ["accepted", "rejected", "progress", "outputChunk", "result", "error"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                /**
                 * Creates a new ServerFrame instance using the specified properties.
                 * @function create
                 * @memberof crank.job.v1.ServerFrame
                 * @static
                 * @param {crank.job.v1.ServerFrame.$Properties=} [properties] Properties to set
                 * @returns {crank.job.v1.ServerFrame} ServerFrame instance
                 * @type {{
                 *   (properties: crank.job.v1.ServerFrame.$Shape): crank.job.v1.ServerFrame & crank.job.v1.ServerFrame.$Shape;
                 *   (properties?: crank.job.v1.ServerFrame.$Properties): crank.job.v1.ServerFrame;
                 * }}
                 */
                ServerFrame.create = function(properties) {
                    return new ServerFrame(properties);
                };

                /**
                 * Encodes the specified ServerFrame message. Does not implicitly {@link crank.job.v1.ServerFrame.verify|verify} messages.
                 * @function encode
                 * @memberof crank.job.v1.ServerFrame
                 * @static
                 * @param {crank.job.v1.ServerFrame.$Properties} message ServerFrame message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                ServerFrame.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.accepted != null && $Object.hasOwnProperty.call(message, "accepted"))
                        $root.crank.job.v1.Accepted.encode(message.accepted, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.rejected != null && $Object.hasOwnProperty.call(message, "rejected"))
                        $root.crank.job.v1.Rejected.encode(message.rejected, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                    if (message.progress != null && $Object.hasOwnProperty.call(message, "progress"))
                        $root.crank.job.v1.Progress.encode(message.progress, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                    if (message.outputChunk != null && $Object.hasOwnProperty.call(message, "outputChunk"))
                        $root.crank.job.v1.OutputChunk.encode(message.outputChunk, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                    if (message.result != null && $Object.hasOwnProperty.call(message, "result"))
                        $root.crank.job.v1.Result.encode(message.result, writer.uint32(/* id 5, wireType 2 =*/42).fork(), _depth + 1).ldelim();
                    if (message.error != null && $Object.hasOwnProperty.call(message, "error"))
                        $root.crank.job.v1.Error.encode(message.error, writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a ServerFrame message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.job.v1.ServerFrame
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.job.v1.ServerFrame & crank.job.v1.ServerFrame.$Shape} ServerFrame
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                ServerFrame.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.job.v1.ServerFrame();
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
                                message.accepted = $root.crank.job.v1.Accepted.decode(reader, reader.size(), $undefined, _depth + 1, message.accepted);
                                message.frame = "accepted";
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                message.rejected = $root.crank.job.v1.Rejected.decode(reader, reader.size(), $undefined, _depth + 1, message.rejected);
                                message.frame = "rejected";
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                message.progress = $root.crank.job.v1.Progress.decode(reader, reader.size(), $undefined, _depth + 1, message.progress);
                                message.frame = "progress";
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                message.outputChunk = $root.crank.job.v1.OutputChunk.decode(reader, reader.size(), $undefined, _depth + 1, message.outputChunk);
                                message.frame = "outputChunk";
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                message.result = $root.crank.job.v1.Result.decode(reader, reader.size(), $undefined, _depth + 1, message.result);
                                message.frame = "result";
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                message.error = $root.crank.job.v1.Error.decode(reader, reader.size(), $undefined, _depth + 1, message.error);
                                message.frame = "error";
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
                 * Gets the type url for ServerFrame
                 * @function getTypeUrl
                 * @memberof crank.job.v1.ServerFrame
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                ServerFrame.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.job.v1.ServerFrame";
                };

                return ServerFrame;
            })();

            return v1;
        })();

        return job;
    })();

    return crank;
})();

export {
  $root as default
};
