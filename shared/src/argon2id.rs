//! Argon2id, version 1.3 (RFC 9106): the vault's password-based key
//! derivation, written here rather than taken from the `argon2` crate.
//!
//! The reason is speed in the browser, where a shopper waits on it at every
//! unlock. The work is the compression function G over 1 KiB blocks, and in
//! wasm it runs on 128-bit SIMD (two 64-bit words per vector,
//! `argon2id/block_simd.rs`); the `argon2` crate's portable code never
//! reaches SIMD there, since LLVM does not vectorise it. Natively (the tests,
//! the tools) the same steps run on 64-bit words
//! (`argon2id/block_portable.rs`). The tests hold both to RFC 9106's vector,
//! to the `argon2` crate's output, and (in the browser) to each other; the
//! vault also checks two known answers before each derivation
//! ([`known_answer_holds`]: RFC 9106's vector, and one whose segments are
//! longer than an address block), so a release build that gets them wrong
//! refuses to derive keys rather than derive weak ones.
//!
//! Only what the vault uses is offered: Argon2id, version 1.3, a 32-byte
//! tag. A secret key and associated data are accepted for the RFC's vector.

use blake2::digest::Digest;
use blake2::{Blake2b256, Blake2b512};
use zeroize::Zeroize;

// In the browser's tests the portable form is only the reference the SIMD
// one is compared with: most of it goes unused there.
#[cfg(any(not(target_arch = "wasm32"), test))]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) mod block_portable;
#[cfg(target_arch = "wasm32")]
pub(crate) mod block_simd;

#[cfg(not(target_arch = "wasm32"))]
use block_portable as block;
#[cfg(target_arch = "wasm32")]
use block_simd as block;

use block::{Block, Scratch};

/// Bytes in one block of Argon2's memory.
pub const BLOCK_BYTES: usize = 1024;

/// Bytes of the tag (the derived key).
pub const TAG_BYTES: usize = 32;

/// The least memory per lane: two blocks in each of its slices.
const MEMORY_KIB_PER_LANE_MIN: u32 = 2 * SYNC_POINTS;

/// Slices of each pass; lanes meet at the end of each.
const SYNC_POINTS: u32 = 4;

/// RFC 9106's version number for 1.3 and its type number for Argon2id.
const VERSION: u32 = 0x13;
const TYPE_ARGON2ID: u32 = 2;

/// Reference positions one address block holds (one per 64-bit word).
const ADDRESSES_PER_BLOCK: usize = 128;

/// Words of the counter block Z from which address blocks are made:
/// pass, lane, slice, blocks, passes, type, counter (the rest are zero).
const COUNTER_WORDS: usize = 7;

/// Bytes of the hashes that H' (RFC 9106, 3.3) chains, and of the half of
/// each it keeps.
const CHAIN_HASH_BYTES: usize = 64;
const CHAIN_KEPT_BYTES: usize = 32;

/// The output lengths H' is asked for, as the little-endian prefix it
/// hashes first.
const BLOCK_BYTES_LE: [u8; 4] = (BLOCK_BYTES as u32).to_le_bytes();
const TAG_BYTES_LE: [u8; 4] = (TAG_BYTES as u32).to_le_bytes();

/// Lanes and the salt's length as RFC 9106 bounds them.
const LANES_MAX: u32 = (1 << 24) - 1;
const SALT_BYTES_MIN: usize = 8;

/// RFC 9106's Argon2id test vector (section 5.3): password 32 × 0x01, salt
/// 16 × 0x02, secret 8 × 0x03, associated data 12 × 0x04, 32 KiB, 3
/// passes, 4 lanes. It fills segments of two blocks only.
const RFC_ANSWER: [u8; TAG_BYTES] = [
    0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
    0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59,
];

/// The `argon2` crate's tag for password "ewallet known answer", salt 16 ×
/// 0x05, 600 KiB, 1 pass, 1 lane: segments of 150 blocks, so a fresh
/// address block after 128 and the first segment's blocks past its first
/// two (the tests check the crate still gives it).
const LONG_SEGMENT_ANSWER: [u8; TAG_BYTES] = [
    0x4d, 0xe3, 0xa7, 0xbb, 0xd2, 0x68, 0x46, 0x56, 0x42, 0x35, 0xc8, 0xca, 0x3d, 0x90, 0x44, 0x70,
    0xbc, 0xfc, 0x2c, 0xa4, 0x51, 0xad, 0xf2, 0x57, 0xd8, 0x5f, 0x0c, 0x9d, 0xe3, 0xa3, 0xcd, 0xa0,
];

/// Why no tag was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Argon2Error {
    #[error("argon2 parameters are out of bounds")]
    InvalidParams,
    #[error("argon2's memory could not be allocated")]
    OutOfMemory,
}

/// Argon2id's cost: memory in KiB (1 KiB blocks), passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

/// What one derivation hashes besides its cost.
pub struct Inputs<'a> {
    pub password: &'a [u8],
    pub salt: &'a [u8],
    /// RFC 9106's K; empty for the vault.
    pub secret: &'a [u8],
    /// RFC 9106's X; empty for the vault.
    pub associated_data: &'a [u8],
}

/// The memory's shape for one cost: lanes of `lane_blocks` blocks, each
/// lane cut into `SYNC_POINTS` segments.
#[derive(Clone, Copy)]
struct Shape {
    cost: Cost,
    lanes: usize,
    lane_blocks: usize,
    segment_blocks: usize,
}

impl Shape {
    fn new(cost: Cost) -> Result<Shape, Argon2Error> {
        if !(1..=LANES_MAX).contains(&cost.lanes) || cost.passes == 0 {
            return Err(Argon2Error::InvalidParams);
        }
        // Lanes fit in 24 bits, so these products fit in 32.
        let per_segment_row = SYNC_POINTS * cost.lanes;
        if cost.memory_kib < MEMORY_KIB_PER_LANE_MIN * cost.lanes {
            return Err(Argon2Error::InvalidParams);
        }
        // m' = 4p · floor(m / 4p): the memory rounds down to whole segments.
        let blocks = (cost.memory_kib / per_segment_row) * per_segment_row;
        let lane_blocks =
            usize::try_from(blocks / cost.lanes).map_err(|_| Argon2Error::InvalidParams)?;
        let lanes = usize::try_from(cost.lanes).map_err(|_| Argon2Error::InvalidParams)?;
        Ok(Shape {
            cost,
            lanes,
            lane_blocks,
            segment_blocks: lane_blocks / SYNC_POINTS as usize,
        })
    }

    fn blocks(&self) -> usize {
        self.lanes * self.lane_blocks
    }

    /// Where block `column` of `lane` is kept. The memory is laid out in
    /// the order the first pass fills it, segment by segment (slice, then
    /// lane), so that pass appends each block as it makes it: no separate
    /// pass that zeroes the whole memory, cold, before any work starts.
    fn index(&self, lane: usize, column: usize) -> usize {
        let (slice, offset) = (column / self.segment_blocks, column % self.segment_blocks);
        (slice * self.lanes + lane) * self.segment_blocks + offset
    }
}

/// Where in the memory one segment is being filled.
#[derive(Clone, Copy)]
struct Position {
    pass: u32,
    slice: u32,
    lane: u32,
}

/// The known answers the vault checks before every derivation: RFC 9106's
/// vector, and one with segments longer than an address block.
pub(crate) fn known_answers() -> [(Inputs<'static>, Cost, [u8; TAG_BYTES]); 2] {
    [
        (
            Inputs {
                password: &[1; 32],
                salt: &[2; 16],
                secret: &[3; 8],
                associated_data: &[4; 12],
            },
            Cost {
                memory_kib: 32,
                passes: 3,
                lanes: 4,
            },
            RFC_ANSWER,
        ),
        (
            Inputs {
                password: b"ewallet known answer",
                salt: &[5; 16],
                secret: &[],
                associated_data: &[],
            },
            Cost {
                memory_kib: 600,
                passes: 1,
                lanes: 1,
            },
            LONG_SEGMENT_ANSWER,
        ),
    ]
}

/// True when this build derives both known answers (632 blocks of work,
/// against the 196,608 of an unlock at the wallet's cost). Worked out once
/// and kept: the code it checks cannot change while it runs. The vault asks
/// before every derivation.
pub fn known_answer_holds() -> bool {
    static HOLDS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HOLDS.get_or_init(|| {
        known_answers().iter().all(|(inputs, cost, answer)| {
            let mut tag = [0_u8; TAG_BYTES];
            hash(inputs, *cost, &mut tag).is_ok() && tag == *answer
        })
    })
}

/// Derives the 32-byte tag of `inputs` at `cost` into `tag`.
pub fn hash(inputs: &Inputs<'_>, cost: Cost, tag: &mut [u8; TAG_BYTES]) -> Result<(), Argon2Error> {
    let shape = Shape::new(cost)?;
    if inputs.salt.len() < SALT_BYTES_MIN {
        return Err(Argon2Error::InvalidParams);
    }
    let mut memory = Vec::new();
    memory
        .try_reserve_exact(shape.blocks())
        .map_err(|_| Argon2Error::OutOfMemory)?;
    let mut h0 = initial_hash(inputs, cost)?;
    let first = first_blocks(&shape, &h0);
    h0.zeroize();
    let mut first = first?;
    let mut scratch = Scratch::new();
    for pass in 0..cost.passes {
        for slice in 0..SYNC_POINTS {
            for lane in 0..cost.lanes {
                if pass == 0 && slice == 0 {
                    let lane = lane as usize;
                    memory.extend_from_slice(&first[2 * lane..2 * lane + 2]);
                }
                let position = Position { pass, slice, lane };
                fill_segment(&mut memory, &mut scratch, &shape, position);
            }
        }
    }
    // The tag is H' of the XOR of each lane's last block.
    let mut last = Block::ZERO;
    for lane in 0..shape.lanes {
        last.xor_assign(&memory[shape.index(lane, shape.lane_blocks - 1)]);
    }
    let mut last_bytes = [0_u8; BLOCK_BYTES];
    last.write_bytes(&mut last_bytes);
    let mut tag_hash = Blake2b256::new();
    tag_hash.update(TAG_BYTES_LE);
    tag_hash.update(last_bytes.as_slice());
    tag_hash.finalize_into(tag.into());
    last_bytes.zeroize();
    last.wipe();
    scratch.wipe();
    Block::wipe_all(&mut first);
    Block::wipe_all(&mut memory);
    Ok(())
}

/// A field's length, little-endian, as H0 prefixes it.
fn length_le(field: &[u8]) -> Result<[u8; 4], Argon2Error> {
    u32::try_from(field.len())
        .map(u32::to_le_bytes)
        .map_err(|_| Argon2Error::InvalidParams)
}

/// H0 (RFC 9106, 3.2, step 1): every parameter and input, hashed.
fn initial_hash(inputs: &Inputs<'_>, cost: Cost) -> Result<[u8; CHAIN_HASH_BYTES], Argon2Error> {
    let mut hasher = Blake2b512::new();
    for number in [
        cost.lanes,
        TAG_BYTES as u32,
        cost.memory_kib,
        cost.passes,
        VERSION,
        TYPE_ARGON2ID,
    ] {
        hasher.update(number.to_le_bytes());
    }
    for field in [
        inputs.password,
        inputs.salt,
        inputs.secret,
        inputs.associated_data,
    ] {
        hasher.update(length_le(field)?);
        hasher.update(field);
    }
    Ok(hasher.finalize().into())
}

/// The first two blocks of each lane, H'^1024(H0 || column || lane) (RFC
/// 9106, 3.2, steps 3 and 4), lane by lane.
fn first_blocks(shape: &Shape, h0: &[u8; CHAIN_HASH_BYTES]) -> Result<Vec<Block>, Argon2Error> {
    let mut bytes = [0_u8; BLOCK_BYTES];
    let mut blocks = Vec::new();
    blocks
        .try_reserve_exact(2 * shape.lanes)
        .map_err(|_| Argon2Error::OutOfMemory)?;
    for lane in 0..shape.cost.lanes {
        for column in 0..2_u32 {
            block_hash(
                &[h0, &column.to_le_bytes(), &lane.to_le_bytes()],
                &mut bytes,
            );
            blocks.push(Block::from_bytes(&bytes));
        }
    }
    bytes.zeroize();
    Ok(blocks)
}

/// H'^1024 (RFC 9106, 3.3): a block's worth of bytes from `inputs`, by a
/// chain of 64-byte BLAKE2b hashes of which each but the last gives its
/// first 32 bytes.
fn block_hash(inputs: &[&[u8]], out: &mut [u8; BLOCK_BYTES]) {
    let mut hasher = Blake2b512::new();
    hasher.update(BLOCK_BYTES_LE);
    for input in inputs {
        hasher.update(input);
    }
    let mut chained: [u8; CHAIN_HASH_BYTES] = hasher.finalize().into();
    let mut written = 0;
    while BLOCK_BYTES - written > CHAIN_HASH_BYTES {
        out[written..written + CHAIN_KEPT_BYTES].copy_from_slice(&chained[..CHAIN_KEPT_BYTES]);
        written += CHAIN_KEPT_BYTES;
        chained = Blake2b512::digest(chained).into();
    }
    out[written..].copy_from_slice(&chained);
    chained.zeroize();
}

/// Fills one segment of one lane (RFC 9106, 3.2 steps 5 and 6, and 3.4):
/// in the first pass by appending to `memory`, after that in place.
fn fill_segment(memory: &mut Vec<Block>, scratch: &mut Scratch, shape: &Shape, position: Position) {
    let Position { pass, slice, lane } = position;
    // Argon2id: the first half of the first pass picks references from a
    // counter (independent of the password), the rest from the memory.
    let independent = pass == 0 && slice < SYNC_POINTS / 2;
    let mut addresses = independent.then(|| AddressStream::new(shape, position));
    let first_index = if pass == 0 && slice == 0 { 2 } else { 0 };
    let segment_start = slice as usize * shape.segment_blocks;
    for index in first_index..shape.segment_blocks {
        let column = segment_start + index;
        let previous_column = if column == 0 {
            shape.lane_blocks - 1
        } else {
            column - 1
        };
        let previous = shape.index(lane as usize, previous_column);
        let pseudo_random = match addresses.as_mut() {
            Some(stream) => stream.at(index, scratch),
            None => memory[previous].word(0),
        };
        let reference_lane = if pass == 0 && slice == 0 {
            lane
        } else {
            // The high half modulo the lanes: fits in u32 as lanes does.
            ((pseudo_random >> 32) % u64::from(shape.cost.lanes)) as u32
        };
        let reference_column = reference_column(
            shape,
            position,
            index,
            pseudo_random & 0xFFFF_FFFF,
            reference_lane == lane,
        );
        let reference = shape.index(reference_lane as usize, reference_column);
        let current = shape.index(lane as usize, column);
        if pass == 0 {
            // In fill order: the block goes at the end.
            debug_assert_eq!(current, memory.len());
            memory.push(Block::ZERO);
            block::fill::<false>(memory, scratch, previous, reference, current);
        } else {
            block::fill::<true>(memory, scratch, previous, reference, current);
        }
    }
}

/// The column a block refers to (RFC 9106, 3.4.2): drawn from `j1` over the
/// blocks it may see, nearer ones likelier.
fn reference_column(
    shape: &Shape,
    position: Position,
    index: usize,
    j1: u64,
    same_lane: bool,
) -> usize {
    let Position { pass, slice, .. } = position;
    let finished_segments = if pass == 0 {
        slice as usize
    } else {
        SYNC_POINTS as usize - 1
    };
    // Every block of the finished segments, plus, in its own lane, those of
    // this segment before the previous one; in another lane, the finished
    // segments' last block is left out at a segment's first block.
    let seen = finished_segments * shape.segment_blocks;
    let area = if same_lane {
        seen + index - 1
    } else if index == 0 {
        seen - 1
    } else {
        seen
    };
    let area = area as u64;
    let x = (j1 * j1) >> 32;
    let relative = area - 1 - ((area * x) >> 32);
    let start = if pass == 0 || slice == SYNC_POINTS - 1 {
        0
    } else {
        (slice as usize + 1) * shape.segment_blocks
    };
    (start + relative as usize) % shape.lane_blocks
}

/// The password-independent reference positions of one segment (RFC 9106,
/// 3.4.1.2): blocks of 128 addresses, each G(0, G(0, Z)) of a counter
/// block Z.
struct AddressStream {
    counter: [u64; COUNTER_WORDS],
    addresses: Block,
}

impl AddressStream {
    fn new(shape: &Shape, position: Position) -> AddressStream {
        AddressStream {
            counter: [
                u64::from(position.pass),
                u64::from(position.lane),
                u64::from(position.slice),
                shape.blocks() as u64,
                u64::from(shape.cost.passes),
                u64::from(TYPE_ARGON2ID),
                0,
            ],
            addresses: Block::ZERO,
        }
    }

    /// The pseudo-random word for the segment's `index`th block; a fresh
    /// address block at every multiple of 128 (and at the first block
    /// filled, which is index 2 in the very first segment).
    fn at(&mut self, index: usize, scratch: &mut Scratch) -> u64 {
        let within = index % ADDRESSES_PER_BLOCK;
        if within == 0 || self.counter[COUNTER_WORDS - 1] == 0 {
            self.counter[COUNTER_WORDS - 1] += 1;
            let mut bytes = [0_u8; BLOCK_BYTES];
            for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.counter) {
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            let counter = Block::from_bytes(&bytes);
            let mut blocks = [Block::ZERO, counter, Block::ZERO, Block::ZERO];
            block::fill::<false>(&mut blocks, scratch, 0, 1, 2);
            block::fill::<false>(&mut blocks, scratch, 0, 2, 3);
            self.addresses = blocks[3];
        }
        self.addresses.word(within)
    }
}
