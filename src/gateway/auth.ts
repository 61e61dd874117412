/**
 * Who may call the gateway, and how much at once. With a token file (`crank-node gateway token
 * create`), or on any address other than loopback, every route but the public ones (health
 * probes, the dashboard's static files) needs `Authorization: Bearer <token>`, or, on HTTPS with
 * `gateway.clientCertificates`, a client certificate from the mesh CA instead. Each token or
 * certificate (or, on an open loopback gateway, everyone together) may have `maxConcurrent`
 * requests in flight; a long-lived SSE stream holds its place until it closes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TrustStore } from '../trust/trust-store.ts'
import { GatewayErrorCodes, problemOf, sendProblem } from './problems.ts'
import { type ClientCertificate, type ClientCertificateMode, checkClientCertificate } from './tls.ts'
import type { TokenInfo, TokenStore } from './tokens.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token and outside the concurrency limit (probes, static files). */
    public?: boolean
  }
  interface FastifyRequest {
    /** The token that authenticated this request; undefined on an open gateway. */
    token?: TokenInfo
    /** The client certificate that authenticated this request (mTLS). */
    client?: ClientCertificate
  }
}

export interface AuthOptions {
  /** Absent without a data dir: then only an open loopback gateway is possible. */
  tokens: TokenStore | undefined
  /** Whether the gateway listens on loopback only. */
  loopback: boolean
  maxConcurrent: number
  /** Client certificates from the mesh CA (HTTPS only). */
  clientCertificates?: { mode: Exclude<ClientCertificateMode, 'off'>; trust: TrustStore }
}

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i
/** The in-flight key of requests on an open gateway. */
const OPEN = '\0open'

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const inFlight = new Map<string, number>()
  app.decorateRequest('token', undefined)
  app.decorateRequest('client', undefined)

  /** Counts the request against `key`'s limit, or answers 429; true when it may go on. */
  const admit = (request: FastifyRequest, reply: FastifyReply, key: string): boolean => {
    const now = inFlight.get(key) ?? 0
    if (now >= opts.maxConcurrent) {
      sendProblem(
        reply,
        problemOf(
          {
            code: GatewayErrorCodes.tooManyRequests,
            message: `${now} requests in flight for this ${key === OPEN ? 'gateway' : request.client === undefined ? 'token' : 'client certificate'} (gateway.maxConcurrentPerToken)`,
            retryable: true,
          },
          request.url,
        ),
      )
      return false
    }
    inFlight.set(key, now + 1)
    // 'close' fires once whether the response finished or the client went away, hijacked or not.
    reply.raw.once('close', () => {
      const left = (inFlight.get(key) ?? 1) - 1
      if (left <= 0) inFlight.delete(key)
      else inFlight.set(key, left)
    })
    return true
  }

  // A callback hook rather than an async one: the open gateway's path then makes no promise per request.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.routeOptions.config.public === true) return done()
    const certs = opts.clientCertificates
    if (certs !== undefined) {
      const check = checkClientCertificate(request.raw.socket, certs.trust)
      // A certificate that is presented is judged, whatever else the request carries.
      if (check?.ok === false || (check === undefined && certs.mode === 'required')) {
        const message =
          check?.ok === false ? check.reason : 'this gateway needs a client certificate from the mesh CA (crank-node ca issue-tls --client)'
        sendProblem(reply, problemOf({ code: GatewayErrorCodes.unauthorized, message }, request.url))
        return
      }
      if (check?.ok === true) {
        request.client = check.client
        if (admit(request, reply, `\0cert:${check.client.serial}`)) done()
        return
      }
    }
    const required = !opts.loopback || opts.tokens?.required === true
    if (!required) {
      if (admit(request, reply, OPEN)) done()
      return
    }
    const match = BEARER.exec(request.headers.authorization ?? '')
    const verified = match === null || opts.tokens === undefined ? Promise.resolve(undefined) : opts.tokens.verify(match[1]!)
    verified.then((info) => {
      if (info === undefined) {
        const message =
          match === null
            ? 'this gateway needs Authorization: Bearer <token> (crank-node gateway token create)'
            : 'the bearer token is not valid (revoked, or never issued here)'
        sendProblem(reply, problemOf({ code: GatewayErrorCodes.unauthorized, message }, request.url))
        return
      }
      request.token = info
      if (admit(request, reply, info.id)) done()
    }, done)
  })
}
