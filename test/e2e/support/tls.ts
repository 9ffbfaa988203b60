/**
 * Throw-away certificates for the end-to-end suite, made with the openssl CLI because Node's crypto
 * can create keys but not X.509 certificates.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A key pair and a self-signed certificate, as files and as PEM text. */
export interface Certificate {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** Makes a self-signed RSA certificate valid for the given IPs and DNS names (one day). */
export function makeCertificate(
  dir: string,
  name: string,
  ips: string[] = ["127.0.0.1"],
  dns: string[] = ["localhost"],
): Certificate {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const san = [...ips.map((ip) => `IP:${ip}`), ...dns.map((d) => `DNS:${d}`)].join(",");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-sha256",
      "-days",
      "1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-subj",
      `/CN=edgehub-${name}`,
      "-addext",
      `subjectAltName=${san}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ],
    { stdio: "pipe" },
  );
  return { certPath, keyPath, certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8") };
}
