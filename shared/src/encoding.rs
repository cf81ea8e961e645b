//! Byte encodings: the canonical binary form that digests, signatures and
//! sealed payloads are computed over, and base64url for bytes in JSON.
//!
//! Canonical form: a sequence of fields in a fixed order, each either
//! - a byte string: its length as a 4-byte big-endian integer, then the bytes
//!   (text is UTF-8), or
//! - an integer: 8 bytes big-endian (`u64`), or 4 bytes (`u32`).
//!
//! Every encoding starts with a text field naming the format and its version
//! (a domain label), so that bytes made for one purpose never parse as, or
//! hash like, another's. Decoding is strict: every length is bounded, and
//! trailing bytes are an error.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why bytes could not be decoded. Never carries the bytes themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("input ends early")]
    Truncated,
    #[error("a field is longer than allowed")]
    FieldTooLong,
    #[error("input has bytes after its last field")]
    TrailingBytes,
    #[error("input is of another format or version")]
    WrongLabel,
    #[error("a text field is not UTF-8")]
    NotUtf8,
    #[error("a field has the wrong length")]
    WrongLength,
    #[error("a field is not valid base64url")]
    NotBase64,
}

/// Builds a canonical encoding.
pub struct CanonicalWriter {
    bytes: Vec<u8>,
}

impl CanonicalWriter {
    /// Starts an encoding with its domain label.
    pub fn new(label: &str) -> CanonicalWriter {
        let mut writer = CanonicalWriter { bytes: Vec::new() };
        writer.text(label);
        writer
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut CanonicalWriter {
        // Every field this crate writes is bounded far below 4 GiB by the
        // limits checked at the edge; saturate rather than wrap if not.
        let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&length.to_be_bytes());
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut CanonicalWriter {
        self.bytes(text.as_bytes())
    }

    pub fn u64(&mut self, value: u64) -> &mut CanonicalWriter {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn u32(&mut self, value: u32) -> &mut CanonicalWriter {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn finish(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.bytes)
    }
}

/// Reads a canonical encoding field by field.
pub struct CanonicalReader<'a> {
    rest: &'a [u8],
}

impl<'a> CanonicalReader<'a> {
    /// Starts reading, requiring the given domain label first.
    pub fn new(bytes: &'a [u8], label: &str) -> Result<CanonicalReader<'a>, DecodeError> {
        let mut reader = CanonicalReader { rest: bytes };
        let found = reader.bytes(label.len())?;
        if found != label.as_bytes() {
            return Err(DecodeError::WrongLabel);
        }
        Ok(reader)
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < count {
            return Err(DecodeError::Truncated);
        }
        let (taken, rest) = self.rest.split_at(count);
        self.rest = rest;
        Ok(taken)
    }

    /// A byte string of at most `max_len` bytes.
    pub fn bytes(&mut self, max_len: usize) -> Result<&'a [u8], DecodeError> {
        let length = self.u32()? as usize;
        if length > max_len {
            return Err(DecodeError::FieldTooLong);
        }
        self.take(length)
    }

    /// A byte string of exactly `N` bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.bytes(N)?;
        bytes.try_into().map_err(|_| DecodeError::WrongLength)
    }

    /// UTF-8 text of at most `max_len` bytes.
    pub fn text(&mut self, max_len: usize) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(self.bytes(max_len)?).map_err(|_| DecodeError::NotUtf8)
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let bytes = self.take(8)?;
        let array: [u8; 8] = bytes.try_into().map_err(|_| DecodeError::Truncated)?;
        Ok(u64::from_be_bytes(array))
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let bytes = self.take(4)?;
        let array: [u8; 4] = bytes.try_into().map_err(|_| DecodeError::Truncated)?;
        Ok(u32::from_be_bytes(array))
    }

    /// Ends reading: no bytes may remain.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Base64url without padding (RFC 4648 §5), constant-time.
pub fn to_base64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes base64url without padding, refusing more than `max_len` bytes.
pub fn from_base64url(text: &str, max_len: usize) -> Result<Vec<u8>, DecodeError> {
    if text.len() > max_len.div_ceil(3) * 4 {
        return Err(DecodeError::FieldTooLong);
    }
    Base64UrlUnpadded::decode_vec(text).map_err(|_| DecodeError::NotBase64)
}

/// Exactly `N` bytes, carried in JSON as a base64url string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bytes<const N: usize>(pub [u8; N]);

impl<const N: usize> Bytes<N> {
    pub fn from_base64url(text: &str) -> Result<Bytes<N>, DecodeError> {
        let bytes = from_base64url(text, N)?;
        let array: [u8; N] = bytes.try_into().map_err(|_| DecodeError::WrongLength)?;
        Ok(Bytes(array))
    }

    pub fn to_base64url(&self) -> String {
        to_base64url(&self.0)
    }
}

impl<const N: usize> core::fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Bytes<{N}>({})", self.to_base64url())
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64url())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes<N>, D::Error> {
        let text = String::deserialize(deserializer)?;
        Bytes::from_base64url(&text).map_err(serde::de::Error::custom)
    }
}

/// A bounded byte string carried in JSON as base64url. The bound is checked
/// when decoding: `MAX` bytes at most.
#[derive(Clone, PartialEq, Eq)]
pub struct BoundedBytes<const MAX: usize>(pub Vec<u8>);

impl<const MAX: usize> core::fmt::Debug for BoundedBytes<MAX> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BoundedBytes({} bytes)", self.0.len())
    }
}

impl<const MAX: usize> Serialize for BoundedBytes<MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&to_base64url(&self.0))
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for BoundedBytes<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BoundedBytes<MAX>, D::Error> {
        let text = String::deserialize(deserializer)?;
        from_base64url(&text, MAX)
            .map(BoundedBytes)
            .map_err(serde::de::Error::custom)
    }
}
