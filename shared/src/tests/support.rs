//! Test support: a deterministic random source and small helpers.

use rand_core::{Infallible, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// A deterministic stand-in for a CSPRNG: SHA-256 in counter mode over a
/// seed. Tests are reproducible; production passes a real CSPRNG.
pub struct TestRng {
    seed: u64,
    counter: u64,
    buffer: Vec<u8>,
}

impl TestRng {
    pub fn new(seed: u64) -> TestRng {
        TestRng {
            seed,
            counter: 0,
            buffer: Vec::new(),
        }
    }
}

impl TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0_u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0_u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, destination: &mut [u8]) -> Result<(), Infallible> {
        for byte in destination {
            if self.buffer.is_empty() {
                let mut hasher = Sha256::new();
                hasher.update(self.seed.to_le_bytes());
                hasher.update(self.counter.to_le_bytes());
                self.counter += 1;
                self.buffer = hasher.finalize().to_vec();
            }
            *byte = self.buffer.remove(0);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
        .collect()
}

/// Every single-bit flip of `bytes`, one at a time.
pub fn bit_flips(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..bytes.len() * 8).map(move |bit| {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        flipped
    })
}
