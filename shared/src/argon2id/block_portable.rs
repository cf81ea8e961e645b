//! Argon2's 1 KiB block and its compression G, on 64-bit words: the
//! portable form, used natively, and in the browser tests as the reference
//! the SIMD form (`block_simd.rs`, two words per 128-bit vector) is
//! compared with.

use zeroize::Zeroize;

use super::BLOCK_BYTES;

const WORDS: usize = BLOCK_BYTES / 8;

#[derive(Clone, Copy)]
pub struct Block([u64; WORDS]);

impl Block {
    pub const ZERO: Block = Block([0; WORDS]);

    pub fn from_bytes(bytes: &[u8; BLOCK_BYTES]) -> Block {
        let mut words = [0_u64; WORDS];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut eight = [0_u8; 8];
            eight.copy_from_slice(chunk);
            *word = u64::from_le_bytes(eight);
        }
        Block(words)
    }

    pub fn write_bytes(&self, bytes: &mut [u8; BLOCK_BYTES]) {
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }

    pub fn word(&self, index: usize) -> u64 {
        self.0[index]
    }

    pub fn xor_assign(&mut self, other: &Block) {
        for (word, other) in self.0.iter_mut().zip(other.0) {
            *word ^= other;
        }
    }

    pub fn wipe(&mut self) {
        self.0.zeroize();
    }

    pub fn wipe_all(blocks: &mut [Block]) {
        for block in blocks {
            block.wipe();
        }
    }
}

/// G's working space: R = x XOR y, and Q, R permuted. Kept by the caller
/// across blocks and wiped once at the end.
pub struct Scratch {
    r: [u64; WORDS],
    q: [u64; WORDS],
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            r: [0; WORDS],
            q: [0; WORDS],
        }
    }

    pub fn wipe(&mut self) {
        self.r.zeroize();
        self.q.zeroize();
    }
}

/// Writes G(memory[previous], memory[reference]) (RFC 9106, 3.5) into
/// memory[current], or XORs it in when `XOR` (the passes after the first).
/// R = x XOR y; P over the eight rows of Q = R, then over Q's eight
/// columns; the result is Q XOR R.
pub fn fill<const XOR: bool>(
    memory: &mut [Block],
    scratch: &mut Scratch,
    previous: usize,
    reference: usize,
    current: usize,
) {
    let (x, y) = (&memory[previous].0, &memory[reference].0);
    let Scratch { r, q } = scratch;
    for ((r, x), y) in r.iter_mut().zip(x).zip(y) {
        *r = x ^ y;
    }
    *q = *r;
    for row in 0..8 {
        let at = |i: usize| 16 * row + i;
        permute(
            q,
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(at),
        );
    }
    for column in 0..8 {
        // Column c holds the 16-byte registers c, c + 8, … c + 56: two
        // words each.
        let at = |i: usize| 2 * column + 16 * (i / 2) + i % 2;
        permute(
            q,
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(at),
        );
    }
    let out = &mut memory[current].0;
    for ((out, q), r) in out.iter_mut().zip(q.iter()).zip(r.iter()) {
        let g = q ^ r;
        *out = if XOR { *out ^ g } else { g };
    }
}

/// P (RFC 9106, 3.6): a BLAKE2b round without message words, on the 4×4
/// matrix of the words at `at`, with BlaMka's multiplication.
fn permute(words: &mut [u64; WORDS], at: [usize; 16]) {
    let mut v = at.map(|index| words[index]);
    for [a, b, c, d] in [
        [0, 4, 8, 12],
        [1, 5, 9, 13],
        [2, 6, 10, 14],
        [3, 7, 11, 15],
        [0, 5, 10, 15],
        [1, 6, 11, 12],
        [2, 7, 8, 13],
        [3, 4, 9, 14],
    ] {
        mix(&mut v, a, b, c, d);
    }
    for (index, value) in at.into_iter().zip(v) {
        words[index] = value;
    }
}

/// GB (RFC 9106, 3.6).
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize) {
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// x + y + 2 · lo32(x) · lo32(y), wrapping.
fn blamka(x: u64, y: u64) -> u64 {
    let product = (x & 0xFFFF_FFFF) * (y & 0xFFFF_FFFF);
    x.wrapping_add(y).wrapping_add(product.wrapping_mul(2))
}
