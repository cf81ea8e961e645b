//! Argon2's 1 KiB block and its compression G on wasm's 128-bit SIMD: 64
//! vectors of two 64-bit words, so each step of the permutation works on
//! two columns (or two diagonals) of its 4×4 matrix at once. The same
//! block as `block_portable.rs`, word for word.
//!
//! The compression (`fill`, `xor_into`) carries
//! `#[target_feature(enable = "simd128")]`, so that the vector intrinsics
//! inline into it; the crate is built without SIMD otherwise, and the
//! conversions to and from bytes call them as functions (once a block). A module
//! that holds these instructions is refused whole by a browser without
//! wasm SIMD (Safari before 16.4): there the wallet's module cannot load.

use core::arch::wasm32::{
    i32x4_shuffle, i64x2_add, i64x2_shl, i64x2_shuffle, u64x2, u64x2_extmul_high_u32x4,
    u64x2_extmul_low_u32x4, u64x2_extract_lane, u64x2_shr, v128, v128_or, v128_xor,
};

use super::BLOCK_BYTES;

const VECTORS: usize = BLOCK_BYTES / 16;

#[derive(Clone, Copy)]
pub struct Block([v128; VECTORS]);

impl Block {
    pub const ZERO: Block = Block([u64x2(0, 0); VECTORS]);

    pub fn from_bytes(bytes: &[u8; BLOCK_BYTES]) -> Block {
        let mut vectors = Block::ZERO.0;
        for (vector, chunk) in vectors.iter_mut().zip(bytes.chunks_exact(16)) {
            let mut low = [0_u8; 8];
            let mut high = [0_u8; 8];
            low.copy_from_slice(&chunk[..8]);
            high.copy_from_slice(&chunk[8..]);
            *vector = u64x2(u64::from_le_bytes(low), u64::from_le_bytes(high));
        }
        Block(vectors)
    }

    pub fn write_bytes(&self, bytes: &mut [u8; BLOCK_BYTES]) {
        for (chunk, vector) in bytes.chunks_exact_mut(16).zip(&self.0) {
            chunk[..8].copy_from_slice(&u64x2_extract_lane::<0>(*vector).to_le_bytes());
            chunk[8..].copy_from_slice(&u64x2_extract_lane::<1>(*vector).to_le_bytes());
        }
    }

    pub fn word(&self, index: usize) -> u64 {
        let vector = self.0[index / 2];
        if index.is_multiple_of(2) {
            u64x2_extract_lane::<0>(vector)
        } else {
            u64x2_extract_lane::<1>(vector)
        }
    }

    pub fn xor_assign(&mut self, other: &Block) {
        xor_into(&mut self.0, &other.0);
    }

    /// Zeroes the block. v128 has no `Zeroize`: the barrier keeps the
    /// writes from being dropped as dead (best effort, as any wipe in wasm).
    pub fn wipe(&mut self) {
        self.0 = Block::ZERO.0;
        zeroize::optimization_barrier(&self.0);
    }

    pub fn wipe_all(blocks: &mut [Block]) {
        blocks.fill(Block::ZERO);
        zeroize::optimization_barrier(blocks);
    }
}

#[target_feature(enable = "simd128")]
fn xor_into(into: &mut [v128; VECTORS], other: &[v128; VECTORS]) {
    for (vector, other) in into.iter_mut().zip(other) {
        *vector = v128_xor(*vector, *other);
    }
}

/// x + y + 2 · lo32(x) · lo32(y) in each 64-bit lane of two pairs at
/// once: one shuffle gathers the four low halves of each side, and the two
/// widening multiplies take the first and the second pair's.
macro_rules! blamka_pair {
    ($x0:ident, $y0:ident, $x1:ident, $y1:ident) => {{
        let xs = i32x4_shuffle::<0, 2, 4, 6>($x0, $x1);
        let ys = i32x4_shuffle::<0, 2, 4, 6>($y0, $y1);
        let (low, high) = (
            u64x2_extmul_low_u32x4(xs, ys),
            u64x2_extmul_high_u32x4(xs, ys),
        );
        $x0 = i64x2_add(i64x2_add($x0, $y0), i64x2_add(low, low));
        $x1 = i64x2_add(i64x2_add($x1, $y1), i64x2_add(high, high));
    }};
}

// Rotations right of each 64-bit lane: by 32 a swap of its halves, the
// others as two shifts (cheaper in V8 than a byte shuffle, whose mask it
// builds anew at each use).
macro_rules! rotate_right_32 {
    ($x:expr) => {{
        let x = $x;
        i32x4_shuffle::<1, 0, 3, 2>(x, x)
    }};
}
macro_rules! rotate_right {
    ($x:expr, $bits:literal) => {{
        let x = $x;
        v128_or(u64x2_shr(x, $bits), i64x2_shl(x, 64 - $bits))
    }};
}

/// GB (RFC 9106, 3.6) on two groups of four vectors, step by step across
/// both: each group is two columns (or diagonals) of the matrix.
macro_rules! mix {
    (($a0:ident, $b0:ident, $c0:ident, $d0:ident), ($a1:ident, $b1:ident, $c1:ident, $d1:ident)) => {
        blamka_pair!($a0, $b0, $a1, $b1);
        $d0 = rotate_right_32!(v128_xor($d0, $a0));
        $d1 = rotate_right_32!(v128_xor($d1, $a1));
        blamka_pair!($c0, $d0, $c1, $d1);
        $b0 = rotate_right!(v128_xor($b0, $c0), 24);
        $b1 = rotate_right!(v128_xor($b1, $c1), 24);
        blamka_pair!($a0, $b0, $a1, $b1);
        $d0 = rotate_right!(v128_xor($d0, $a0), 16);
        $d1 = rotate_right!(v128_xor($d1, $a1), 16);
        blamka_pair!($c0, $d0, $c1, $d1);
        $b0 = rotate_right!(v128_xor($b0, $c0), 63);
        $b1 = rotate_right!(v128_xor($b1, $c1), 63);
    };
}

/// P (RFC 9106, 3.6) on the 4×4 word matrix read from `$from` at the
/// vectors `$at(0)` … `$at(7)` and written to `$to` at the same ones:
/// rows a (v0–v3), b (v4–v7), c (v8–v11) and d (v12–v15), each as two
/// vectors. The columns are mixed; then rows b, c and d turn by one, two
/// and three words so that the diagonals line up as columns, are mixed,
/// and turn back.
macro_rules! permute {
    ($from:expr, $to:expr, $at:expr) => {{
        let at = $at;
        let (mut a0, mut a1, mut b0, mut b1) =
            ($from[at(0)], $from[at(1)], $from[at(2)], $from[at(3)]);
        let (mut c0, mut c1, mut d0, mut d1) =
            ($from[at(4)], $from[at(5)], $from[at(6)], $from[at(7)]);
        mix!((a0, b0, c0, d0), (a1, b1, c1, d1));
        // Diagonals: b by one word (v5 v6 | v7 v4), c by two (v10 v11 |
        // v8 v9), d by three (v15 v12 | v13 v14).
        (b0, b1) = (i64x2_shuffle::<1, 2>(b0, b1), i64x2_shuffle::<1, 2>(b1, b0));
        (c0, c1) = (c1, c0);
        (d0, d1) = (i64x2_shuffle::<1, 2>(d1, d0), i64x2_shuffle::<1, 2>(d0, d1));
        mix!((a0, b0, c0, d0), (a1, b1, c1, d1));
        (b0, b1) = (i64x2_shuffle::<1, 2>(b1, b0), i64x2_shuffle::<1, 2>(b0, b1));
        (c0, c1) = (c1, c0);
        (d0, d1) = (i64x2_shuffle::<1, 2>(d0, d1), i64x2_shuffle::<1, 2>(d1, d0));
        ($to[at(0)], $to[at(1)], $to[at(2)], $to[at(3)]) = (a0, a1, b0, b1);
        ($to[at(4)], $to[at(5)], $to[at(6)], $to[at(7)]) = (c0, c1, d0, d1);
    }};
}

/// G's working space: R = x XOR y, and Q, R permuted. Kept by the caller
/// across blocks and wiped once at the end, rather than on the stack of
/// each call.
pub struct Scratch {
    r: [v128; VECTORS],
    q: [v128; VECTORS],
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            r: Block::ZERO.0,
            q: Block::ZERO.0,
        }
    }

    pub fn wipe(&mut self) {
        self.r = Block::ZERO.0;
        self.q = Block::ZERO.0;
        zeroize::optimization_barrier(self);
    }
}

/// Writes G(memory[previous], memory[reference]) (RFC 9106, 3.5) into
/// memory[current], or XORs it in when `XOR` (the passes after the first).
/// R = x XOR y; P over R's eight rows into Q, then over Q's eight columns;
/// the result is Q XOR R.
#[target_feature(enable = "simd128")]
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
        *r = v128_xor(*x, *y);
    }
    for row in 0..8 {
        permute!(r, q, |index: usize| 8 * row + index);
    }
    for column in 0..8 {
        permute!(q, q, |index: usize| column + 8 * index);
    }
    let out = &mut memory[current].0;
    for ((out, q), r) in out.iter_mut().zip(q.iter()).zip(r.iter()) {
        let g = v128_xor(*q, *r);
        *out = if XOR { v128_xor(*out, g) } else { g };
    }
}
