import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A self-signed X.509 certificate around a new RSA key: what an IdP needs to
 * encrypt assertions to us (Okta's "Encryption Certificate", Entra's "Token
 * encryption" upload). Node can parse certificates but not make them, so the
 * few DER structures of RFC 5280 §4.1 are written here rather than pulling in
 * a certificate library for one self-signed certificate.
 */

const generate = promisify(generateKeyPair);

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let left = n; left > 0; left = Math.floor(left / 256)) bytes.unshift(left % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...content: Buffer[]) => tlv(0x30, ...content);

/** 1.2.840.113549.1.1.11 sha256WithRSAEncryption, with its NULL parameters. */
const SHA256_WITH_RSA = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
/** 2.5.4.3 commonName. */
const COMMON_NAME = Buffer.from('0603550403', 'hex');

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function name(commonName: string): Buffer {
  return sequence(tlv(0x31, sequence(COMMON_NAME, tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

/** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 16 random ones, the first in 0x01–0x7f. */
function serial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return tlv(0x02, bytes);
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface SelfSigned {
  certificate: string;
  privateKey: string;
}

/** The certificate's body, signed with the key it certifies (issuer = subject). */
export function selfSignedCertificate(publicKey: KeyObject, privateKey: KeyObject, commonName: string, notBefore: Date, notAfter: Date): string {
  const subject = name(commonName);
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // [0] version v3
    serial(),
    SHA256_WITH_RSA,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  return toPem('CERTIFICATE', sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), signature)));
}

/** A new RSA-2048 key (PKCS#8 PEM) and its self-signed certificate, valid from `now` for `days`. */
export async function newSelfSigned(commonName: string, now: Date, days: number): Promise<SelfSigned> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength: 2048 });
  // An hour back: an IdP whose clock is a little behind ours still takes the certificate as valid.
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  return {
    certificate: selfSignedCertificate(publicKey, privateKey, commonName.slice(0, 64), notBefore, notAfter),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
