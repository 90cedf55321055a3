// MNS's signing key for the offline stack: an RSA key and a self-signed X.509 certificate for it, built here
// in DER (RFC 5280 §4.1) so that no dependency is needed. The real certificate is a self-signed RSA
// certificate too (issuer = subject, `O=Aliyun, OU=Mns, CN=notify`), signed with sha1WithRSAEncryption.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface SigningCertificate {
  privateKey: KeyObject;
  /** PEM text, as MNS serves it. */
  pem: string;
  /** A name that changes with the key, as MNS's file name does when it rotates the certificate. */
  fileName: string;
}

// 1024 bits keeps a stack start fast; MNS's own key is 512 bits, which node still verifies.
export function createSigningCertificate(now: Date = new Date(), modulusLength = 1024): SigningCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.10'), utf8('Aliyun'))), set(seq(oid('2.5.4.11'), utf8('Mns'))), set(seq(oid('2.5.4.3'), utf8('notify'))));
  const sha1WithRsa = seq(oid('1.2.840.113549.1.1.5'), Buffer.from([0x05, 0x00]));
  const serial = createHash('sha256').update(spki).digest().subarray(0, 8);
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // version 3
    integer(serial),
    sha1WithRsa,
    name,
    seq(utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + 10 * 365 * 86_400_000))),
    name,
    spki,
  );
  const der = seq(tbs, sha1WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), sign('sha1', tbs, privateKey)])));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    privateKey,
    pem: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    fileName: `x509_public_certificate-${serial.toString('hex')}.pem`,
  };
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : lengthBytes(n);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function lengthBytes(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
// A positive INTEGER: a leading 0 when the top bit is set.
const integer = (bytes: Buffer) => tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-04T14:14:51.000Z → 261204141451Z
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift((v & 0x7f) | (groups.length ? 0x80 : 0));
      if (v < 128) break;
    }
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
