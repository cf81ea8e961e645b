//! Our Argon2id against RFC 9106's vector and the `argon2` crate. Natively
//! these check the portable compression; in headless Chromium, the SIMD
//! one, which is also compared with the portable one block by block.

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};

use super::support::{TestRng, hex};
use super::test;
use crate::argon2id::{
    Argon2Error, Cost, Inputs, TAG_BYTES, hash, known_answer_holds, known_answers,
};
use crate::rand_core::Rng;

/// The `argon2` crate's Argon2id v1.3 tag of the same inputs and cost.
fn reference(inputs: &Inputs<'_>, cost: Cost) -> [u8; TAG_BYTES] {
    let mut builder = ParamsBuilder::new();
    builder
        .m_cost(cost.memory_kib)
        .t_cost(cost.passes)
        .p_cost(cost.lanes)
        .output_len(TAG_BYTES);
    if !inputs.associated_data.is_empty() {
        builder.data(AssociatedData::new(inputs.associated_data).unwrap());
    }
    let params = builder.build().unwrap();
    let argon2 = if inputs.secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        Argon2::new_with_secret(inputs.secret, Algorithm::Argon2id, Version::V0x13, params).unwrap()
    };
    let mut tag = [0_u8; TAG_BYTES];
    argon2
        .hash_password_into(inputs.password, inputs.salt, &mut tag)
        .unwrap();
    tag
}

fn ours(inputs: &Inputs<'_>, cost: Cost) -> Result<[u8; TAG_BYTES], Argon2Error> {
    let mut tag = [0_u8; TAG_BYTES];
    hash(inputs, cost, &mut tag).map(|()| tag)
}

#[test]
fn argon2id_matches_the_rfc_9106_vector() {
    // Goal: the KDF is Argon2id v1.3 (RFC 9106, section 5.3). Method: the
    // RFC's inputs (with its secret and associated data), its tag.
    let inputs = Inputs {
        password: &[1; 32],
        salt: &[2; 16],
        secret: &[3; 8],
        associated_data: &[4; 12],
    };
    let cost = Cost {
        memory_kib: 32,
        passes: 3,
        lanes: 4,
    };
    let vector = hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    assert_eq!(ours(&inputs, cost).unwrap().to_vec(), vector);
    // The crate, as the other tests' reference, with a secret and data.
    assert_eq!(reference(&inputs, cost).to_vec(), vector);
    // The vault's own check before each derivation.
    assert!(known_answer_holds());
}

#[test]
fn the_vaults_known_answers_are_the_crates() {
    // Goal: the answers the vault checks before each derivation are right,
    // not merely ours. Method: the crate derives each of them.
    for (inputs, cost, answer) in known_answers() {
        assert_eq!(reference(&inputs, cost), answer, "{cost:?}");
        assert_eq!(ours(&inputs, cost).unwrap(), answer, "{cost:?}");
    }
}

#[test]
fn argon2id_matches_the_argon2_crate_across_costs_and_inputs() {
    // Goal: the kinds of cost the vault may store derive the same key as
    // the crate: 1 to 16 lanes (`KDF_LANES_MAX`), lanes that do and do not
    // divide the memory, with one pass and several (later passes XOR into
    // the block), segments of one, two and three address blocks (128
    // references each), and inputs of many lengths. (The default cost, 64
    // MiB, is compared by `cargo xtask bench`.) Method: seeded random
    // inputs, compared byte for byte.
    let costs = [
        (8, 1, 1),
        (8, 2, 1),
        (16, 1, 2),
        (37, 3, 1),
        (64, 2, 4),
        (100, 1, 3),
        (210, 2, 5),
        (128, 2, 16),
        (520, 1, 1),
        (1032, 2, 2),
        (2048, 3, 4),
        (3100, 2, 3),
    ];
    let mut rng = TestRng::new(9106);
    for (index, (memory_kib, passes, lanes)) in costs.into_iter().enumerate() {
        let mut password = vec![0_u8; index * 13];
        let mut salt = vec![0_u8; 8 + index * 7];
        rng.fill_bytes(&mut password);
        rng.fill_bytes(&mut salt);
        let inputs = Inputs {
            password: &password,
            salt: &salt,
            secret: &[],
            associated_data: &[],
        };
        let cost = Cost {
            memory_kib,
            passes,
            lanes,
        };
        assert_eq!(
            ours(&inputs, cost).unwrap(),
            reference(&inputs, cost),
            "{cost:?}"
        );
    }
}

#[test]
fn argon2id_refuses_costs_and_salts_out_of_bounds() {
    // Goal: parameters the RFC forbids are an error, never a panic or a
    // tag. Method: each bound just crossed.
    let inputs = |salt: &'static [u8]| Inputs {
        password: b"correct horse",
        salt,
        secret: &[],
        associated_data: &[],
    };
    let cost = |memory_kib, passes, lanes| Cost {
        memory_kib,
        passes,
        lanes,
    };
    for (salt, refused) in [
        (&[0_u8; 8][..], cost(7, 1, 1)),
        (&[0_u8; 8][..], cost(31, 1, 4)),
        (&[0_u8; 8][..], cost(8, 0, 1)),
        (&[0_u8; 8][..], cost(8, 1, 0)),
        (&[0_u8; 7][..], cost(8, 1, 1)),
        (&[0_u8; 8][..], cost(u32::MAX, 1, 1 << 24)),
        (&[0_u8; 8][..], cost(u32::MAX, 1, u32::MAX)),
    ] {
        assert_eq!(
            ours(&inputs(salt), refused),
            Err(Argon2Error::InvalidParams)
        );
    }
    assert!(ours(&inputs(&[0; 8]), cost(32, 1, 4)).is_ok());
}

#[cfg(target_arch = "wasm32")]
#[test]
fn the_simd_compression_matches_the_portable_one_block_by_block() {
    // Goal: the browser's compression (128-bit vectors) is the portable one
    // (64-bit words), for fresh blocks and XORed into old ones, with the
    // same words and bytes. Method: seeded random blocks through both.
    use crate::argon2id::{BLOCK_BYTES, block_portable, block_simd};
    let mut rng = TestRng::new(128);
    for round in 0..16 {
        let mut bytes = [[0_u8; BLOCK_BYTES]; 3];
        for block in &mut bytes {
            rng.fill_bytes(block);
        }
        let mut simd = bytes.map(|block| block_simd::Block::from_bytes(&block));
        let mut portable = bytes.map(|block| block_portable::Block::from_bytes(&block));
        let (mut simd_scratch, mut portable_scratch) =
            (block_simd::Scratch::new(), block_portable::Scratch::new());
        if round % 2 == 0 {
            block_simd::fill::<false>(&mut simd, &mut simd_scratch, 0, 1, 2);
            block_portable::fill::<false>(&mut portable, &mut portable_scratch, 0, 1, 2);
        } else {
            block_simd::fill::<true>(&mut simd, &mut simd_scratch, 0, 1, 2);
            block_portable::fill::<true>(&mut portable, &mut portable_scratch, 0, 1, 2);
        }
        let (mut from_simd, mut from_portable) = ([0_u8; BLOCK_BYTES], [0_u8; BLOCK_BYTES]);
        simd[2].write_bytes(&mut from_simd);
        portable[2].write_bytes(&mut from_portable);
        assert_eq!(from_simd, from_portable, "round {round}");
        assert_ne!(from_simd, bytes[2], "round {round}");
        for word in [0, 1, 64, 127] {
            assert_eq!(simd[2].word(word), portable[2].word(word));
        }
    }
}
