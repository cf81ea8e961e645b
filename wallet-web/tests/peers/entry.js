// The peers the wallet's crypto is measured against, bundled by
// `cargo xtask bench --peers` into `peers.js` (not committed), which the
// browser benchmark imports through wasm-bindgen so both run in one page.
import { argon2id } from "hash-wasm";
import {
  Aes256Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
} from "@hpke/core";

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

let recipient = null;

// The recipient's raw X25519 public key, imported once.
export async function peer_hpke_recipient(publicKey) {
  recipient = await suite.kem.deserializePublicKey(publicKey.slice().buffer);
}

// One HPKE base-mode single-shot seal; answers the ciphertext's length.
export async function peer_hpke_seal(plaintext, info, aad) {
  const { ct } = await suite.seal(
    { recipientPublicKey: recipient, info: info.slice().buffer },
    plaintext.slice().buffer,
    aad.slice().buffer,
  );
  return ct.byteLength;
}

// One Argon2id derivation of a 32-byte key, returned so that the benchmark
// can check ours derives the same.
export async function peer_argon2id(password, salt, memoryKib, passes, lanes) {
  const key = await argon2id({
    password,
    salt,
    parallelism: lanes,
    iterations: passes,
    memorySize: memoryKib,
    hashLength: 32,
    outputType: "binary",
  });
  return key;
}
