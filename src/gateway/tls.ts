/**
 * HTTPS for the gateway, and client certificates from the mesh CA (mTLS). TLS itself checks a
 * client certificate's chain to the CA and its dates; what TLS does not know is checked on each
 * request: the certificate is for clients (EKU clientAuth), and it is not on the CA's newest
 * CRL, which the node keeps current as revocations spread through the mesh.
 */
import { readFileSync } from 'node:fs'
import type { TLSSocket } from 'node:tls'
import type { GatewayConfig } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { TrustStore } from '../trust/trust-store.ts'

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

export type ClientCertificateMode = GatewayConfig['clientCertificates']

/** What fastify's `https` option takes. */
export interface HttpsOptions {
  cert: Buffer
  key: Buffer
  ca?: string[]
  requestCert: boolean
  rejectUnauthorized: boolean
}

/** A verified client certificate: who called. */
export interface ClientCertificate {
  name: string
  serial: string
}

export type ClientCheck = { ok: true; client: ClientCertificate } | { ok: false; reason: string } | undefined

/**
 * The server's TLS options from the config, or undefined for plain HTTP. Every mistake is an
 * `invalid_config` that says which setting, before anything listens.
 */
export function httpsOptions(
  config: Pick<GatewayConfig, 'tlsCertFile' | 'tlsKeyFile' | 'clientCertificates'>,
  trust: TrustStore | undefined,
): HttpsOptions | undefined {
  const { tlsCertFile, tlsKeyFile, clientCertificates } = config
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined))
    throw new CrankError(
      ErrorCodes.invalidConfig,
      'gateway.tlsCertFile and gateway.tlsKeyFile go together: give both, or neither for plain HTTP',
    )
  if (tlsCertFile === undefined || tlsKeyFile === undefined) {
    if (clientCertificates !== 'off')
      throw new CrankError(
        ErrorCodes.invalidConfig,
        `gateway.clientCertificates is ${clientCertificates}, but client certificates need HTTPS: set gateway.tlsCertFile and gateway.tlsKeyFile`,
      )
    return undefined
  }
  if (clientCertificates !== 'off' && trust === undefined)
    throw new CrankError(
      ErrorCodes.invalidConfig,
      'gateway.clientCertificates needs the mesh CA to check them against, and this node has none (open mesh)',
    )
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new CrankError(
        ErrorCodes.invalidConfig,
        `gateway ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      )
    }
  }
  return {
    cert: read(tlsCertFile, 'certificate'),
    key: read(tlsKeyFile, 'key'),
    ...(clientCertificates === 'off' || trust === undefined ? {} : { ca: [trust.ca.toString('pem')] }),
    requestCert: clientCertificates !== 'off',
    // `required` refuses a connection without a valid chain in the handshake; `optional` lets it
    // through to be judged per request (a token may still admit it).
    rejectUnauthorized: clientCertificates === 'required',
  }
}

/** The request's client certificate, judged: undefined when it presented none. */
export function checkClientCertificate(socket: unknown, trust: TrustStore): ClientCheck {
  const tls = socket as Partial<TLSSocket>
  if (typeof tls.getPeerCertificate !== 'function') return undefined
  const peer = tls.getPeerCertificate()
  if (peer === undefined || Object.keys(peer).length === 0) return undefined
  if (tls.authorized !== true)
    return {
      ok: false,
      reason: `the client certificate was not accepted: ${String(tls.authorizationError)} (it must be a client certificate from this mesh's CA)`,
    }
  if (!(peer.ext_key_usage ?? []).includes(CLIENT_AUTH))
    return { ok: false, reason: 'the certificate is not for clients (no extended key usage clientAuth)' }
  if (trust.isRevoked(peer.serialNumber)) return { ok: false, reason: `the client certificate ${peer.serialNumber} is revoked` }
  const cn = peer.subject?.CN
  return { ok: true, client: { name: Array.isArray(cn) ? cn.join(',') : (cn ?? peer.serialNumber), serial: peer.serialNumber } }
}
