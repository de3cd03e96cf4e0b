import { createHash, generateKeyPair, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A throw-away certificate authority for the Velociraptor fake, built with node:crypto only.
 * Node can generate keys and sign bytes but has no X.509 writer (`X509Certificate` only parses), so
 * this file encodes the few DER structures a certificate needs (RFC 5280) and signs them with
 * SHA-256/RSA. Everything is generated in memory when a fake starts: no key is ever written to disk
 * or checked in, and every run gets fresh keys. Test-only: nothing here is fit for real use.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

// --- DER encoding (only what certificates use) -------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const explicit = (tagNumber: number, content: Buffer): Buffer => tlv(0xa0 + tagNumber, content);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const derNull = Buffer.from([0x05, 0x00]);
const derTrue = Buffer.from([0x01, 0x01, 0xff]);

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  const first = trimmed[0] ?? 0;
  return tlv(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      chunk.unshift((value & 0x7f) | 0x80);
    }
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** BIT STRING of whole bytes (keys, signatures). */
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));

/** BIT STRING of named flags (key usage) in one byte, with the DER-minimal count of unused bits. */
function flags(byte: number): Buffer {
  let unused = 0;
  while (unused < 7 && ((byte >> unused) & 1) === 0) unused += 1;
  return tlv(0x03, Buffer.from([unused, byte]));
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function distinguishedName(commonName: string, organization: string): Buffer {
  return sequence(
    set(sequence(objectId(OID.organization), utf8(organization))),
    set(sequence(objectId(OID.commonName), utf8(commonName))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectId(oid), ...(critical ? [derTrue] : []), octetString(value));
}

// --- certificates ------------------------------------------------------------------------------

/** A certificate with its key, both PEM, plus the parsed form for checks. */
export interface IssuedCertificate {
  certPem: string;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`), the form Velociraptor writes into api_client.yaml. */
  keyPem: string;
  certificate: X509Certificate;
  privateKey: KeyObject;
  /** Subject key identifier, for the authority key identifier of certificates it signs. */
  keyId: Buffer;
  commonName: string;
}

export type CertificateRole = 'ca' | 'server' | 'client';

export interface IssueOptions {
  commonName: string;
  role: CertificateRole;
  /** DNS subject alternative names (servers). */
  dnsNames?: readonly string[];
  /** The signer; omitted for a self-signed CA. */
  issuer?: IssuedCertificate;
  validityDays?: number;
  organization?: string;
}

async function newRsaKey(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048 });
}

/** Issues one certificate: a self-signed CA, or a server/client leaf signed by `issuer`. */
export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const { privateKey, publicKey } = await newRsaKey();
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha1').update(spki).digest();
  const organization = options.organization ?? 'Vigil test PKI (not for production)';
  const subject = distinguishedName(options.commonName, organization);
  const issuer = options.issuer;
  if (options.role !== 'ca' && issuer === undefined) throw new Error('a leaf certificate needs an issuer');

  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + (options.validityDays ?? 365) * 24 * 60 * 60 * 1000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const algorithm = sequence(objectId(OID.sha256WithRsa), derNull);

  const extensions: Buffer[] = [extension(OID.subjectKeyId, false, octetString(keyId))];
  if (issuer) extensions.push(extension(OID.authorityKeyId, false, sequence(tlv(0x80, issuer.keyId))));
  if (options.role === 'ca') {
    extensions.push(extension(OID.basicConstraints, true, sequence(derTrue)));
    // keyCertSign | cRLSign
    extensions.push(extension(OID.keyUsage, true, flags(0x06)));
  } else {
    extensions.push(extension(OID.basicConstraints, true, sequence()));
    // digitalSignature | keyEncipherment
    extensions.push(extension(OID.keyUsage, true, flags(0xa0)));
    const purpose = options.role === 'server' ? OID.serverAuth : OID.clientAuth;
    extensions.push(extension(OID.extKeyUsage, false, sequence(objectId(purpose))));
  }
  if (options.dnsNames && options.dnsNames.length > 0) {
    const names = options.dnsNames.map((name) => tlv(0x82, Buffer.from(name, 'ascii')));
    extensions.push(extension(OID.subjectAltName, false, sequence(...names)));
  }

  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    issuer ? distinguishedName(issuer.commonName, organization) : subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer?.privateKey ?? privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  const certificate = new X509Certificate(certPem);
  return {
    certPem,
    keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    certificate,
    privateKey,
    keyId,
    commonName: options.commonName,
  };
}

/** The three identities of a Velociraptor deployment: its CA, the server, and one API client. */
export interface VelociraptorTestPki {
  ca: IssuedCertificate;
  server: IssuedCertificate;
  client: IssuedCertificate;
}

export interface PkiOptions {
  /** Name in the server certificate; Velociraptor always uses `VelociraptorServer`. */
  serverName?: string;
  /** API user name, the client certificate's CN. */
  clientName?: string;
  caName?: string;
}

/** Creates a CA and the server and client certificates it signs, as `config api_client` would. */
export async function createVelociraptorTestPki(options: PkiOptions = {}): Promise<VelociraptorTestPki> {
  const serverName = options.serverName ?? 'VelociraptorServer';
  const ca = await issueCertificate({
    commonName: options.caName ?? 'Velociraptor CA (Vigil test)',
    role: 'ca',
  });
  const [server, client] = await Promise.all([
    issueCertificate({ commonName: serverName, role: 'server', dnsNames: [serverName], issuer: ca }),
    issueCertificate({ commonName: options.clientName ?? 'vigil-test', role: 'client', issuer: ca }),
  ]);
  return { ca, server, client };
}
