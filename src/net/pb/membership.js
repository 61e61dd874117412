/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["crank_membership"] || ($protobuf.roots["crank_membership"] = {});

export const crank = $root.crank = (() => {

    /**
     * Namespace crank.
     * @exports crank
     * @namespace
     */
    const crank = {};

    crank.membership = (function() {

        /**
         * Namespace membership.
         * @memberof crank
         * @namespace
         */
        const membership = {};

        membership.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof crank.membership
             * @namespace
             */
            const v1 = {};

            v1.Hello = (function() {

                /**
                 * Properties of a Hello.
                 * @typedef {Object} crank.membership.v1.Hello.$Properties
                 * @property {Uint8Array|null} [certificate] Hello certificate
                 * @property {Uint8Array|null} [crl] Hello crl
                 * @property {boolean|null} [reply] Hello reply
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Hello.
                 * @memberof crank.membership.v1
                 * @interface IHello
                 * @augments crank.membership.v1.Hello.$Properties
                 * @deprecated Use crank.membership.v1.Hello.$Properties instead.
                 */

                /**
                 * Shape of a Hello.
                 * @typedef {crank.membership.v1.Hello.$Properties} crank.membership.v1.Hello.$Shape
                 */

                /**
                 * Constructs a new Hello.
                 * @memberof crank.membership.v1
                 * @classdesc Represents a Hello.
                 * @constructor
                 * @param {crank.membership.v1.Hello.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Hello = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Hello certificate.
                 * @member {Uint8Array} certificate
                 * @memberof crank.membership.v1.Hello
                 * @instance
                 */
                Hello.prototype.certificate = $util.newBuffer([]);

                /**
                 * Hello crl.
                 * @member {Uint8Array} crl
                 * @memberof crank.membership.v1.Hello
                 * @instance
                 */
                Hello.prototype.crl = $util.newBuffer([]);

                /**
                 * Hello reply.
                 * @member {boolean} reply
                 * @memberof crank.membership.v1.Hello
                 * @instance
                 */
                Hello.prototype.reply = false;

                /**
                 * Creates a new Hello instance using the specified properties.
                 * @function create
                 * @memberof crank.membership.v1.Hello
                 * @static
                 * @param {crank.membership.v1.Hello.$Properties=} [properties] Properties to set
                 * @returns {crank.membership.v1.Hello} Hello instance
                 * @type {{
                 *   (properties: crank.membership.v1.Hello.$Shape): crank.membership.v1.Hello & crank.membership.v1.Hello.$Shape;
                 *   (properties?: crank.membership.v1.Hello.$Properties): crank.membership.v1.Hello;
                 * }}
                 */
                Hello.create = function(properties) {
                    return new Hello(properties);
                };

                /**
                 * Encodes the specified Hello message. Does not implicitly {@link crank.membership.v1.Hello.verify|verify} messages.
                 * @function encode
                 * @memberof crank.membership.v1.Hello
                 * @static
                 * @param {crank.membership.v1.Hello.$Properties} message Hello message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Hello.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.certificate != null && $Object.hasOwnProperty.call(message, "certificate") && message.certificate.length)
                        writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.certificate);
                    if (message.crl != null && $Object.hasOwnProperty.call(message, "crl") && message.crl.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.crl);
                    if (message.reply != null && $Object.hasOwnProperty.call(message, "reply") && message.reply !== false)
                        writer.uint32(/* id 3, wireType 0 =*/24).bool(message.reply);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Hello message from the specified reader or buffer.
                 * @function decode
                 * @memberof crank.membership.v1.Hello
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {crank.membership.v1.Hello & crank.membership.v1.Hello.$Shape} Hello
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Hello.decode = function (reader, length, _end, _depth, _target) {
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
                    message = _target || new $root.crank.membership.v1.Hello();
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
                                if ((value = reader.bytes()).length)
                                    message.certificate = value;
                                else
                                    delete message.certificate;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.crl = value;
                                else
                                    delete message.crl;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.reply = value;
                                else
                                    delete message.reply;
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
                 * Gets the type url for Hello
                 * @function getTypeUrl
                 * @memberof crank.membership.v1.Hello
                 * @static
                 * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
                 * @returns {string} The type url
                 */
                Hello.getTypeUrl = function(prefix) {
                    if (prefix === $undefined)
                        prefix = "type.googleapis.com";
                    return prefix + "/crank.membership.v1.Hello";
                };

                return Hello;
            })();

            return v1;
        })();

        return membership;
    })();

    return crank;
})();

export {
  $root as default
};
