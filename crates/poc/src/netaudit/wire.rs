//! The 16-byte frames of the probe protocol (layout in the module documentation).

use std::fmt;

use super::NetAuditError;

/// First two bytes of every frame.
pub const MAGIC: [u8; 2] = *b"IO";
/// The wire format version this build speaks.
pub const VERSION: u8 = 1;
/// Size of a [`Frame`] on the wire.
pub const FRAME_LEN: usize = 16;
/// Largest bulk transfer a [`ProbeServer`] accepts in one request (1 GiB).
pub const MAX_BULK_BYTES: u64 = 1 << 30;
/// Marks a reply kind.
pub const REPLY: u8 = 0x80;

/// Bulk transfers move in chunks of this size.
pub(super) const CHUNK: usize = 64 * 1024;

/// What a frame asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    Hello = 0x01,
    Echo = 0x02,
    Download = 0x03,
    Upload = 0x04,
    Refused = 0x7F,
}

impl Kind {
    pub(super) fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x01 => Kind::Hello,
            0x02 => Kind::Echo,
            0x03 => Kind::Download,
            0x04 => Kind::Upload,
            0x7F => Kind::Refused,
            _ => return None,
        })
    }
}

/// Why a server refused a request (the `arg` of a `Refused` frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request's version is not the server's.
    Version,
    /// The request's kind is unknown to the server (or not valid on that transport).
    UnknownKind,
    /// A bulk transfer above [`MAX_BULK_BYTES`].
    TooLarge,
    /// A code this build does not know.
    Other(u64),
}

impl Refusal {
    pub fn code(self) -> u64 {
        match self {
            Refusal::Version => 1,
            Refusal::UnknownKind => 2,
            Refusal::TooLarge => 3,
            Refusal::Other(code) => code,
        }
    }

    pub fn from_code(code: u64) -> Self {
        match code {
            1 => Refusal::Version,
            2 => Refusal::UnknownKind,
            3 => Refusal::TooLarge,
            other => Refusal::Other(other),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Version => write!(f, "version mismatch"),
            Refusal::UnknownKind => write!(f, "unknown request kind"),
            Refusal::TooLarge => write!(f, "bulk transfer above {MAX_BULK_BYTES} bytes"),
            Refusal::Other(code) => write!(f, "refusal code {code}"),
        }
    }
}

/// One 16-byte header (see the module documentation for the layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub version: u8,
    /// The raw kind byte: a [`Kind`], with [`REPLY`] set on replies.
    pub kind: u8,
    pub seq: u32,
    pub arg: u64,
}

impl Frame {
    /// A request of this build's version.
    pub fn request(kind: Kind, seq: u32, arg: u64) -> Self {
        Frame { version: VERSION, kind: kind as u8, seq, arg }
    }

    /// The reply to a request of `kind`, in this build's version.
    pub fn reply(kind: Kind, seq: u32, arg: u64) -> Self {
        Frame { version: VERSION, kind: kind as u8 | REPLY, seq, arg }
    }

    pub fn encode(&self) -> [u8; FRAME_LEN] {
        let mut bytes = [0u8; FRAME_LEN];
        bytes[0..2].copy_from_slice(&MAGIC);
        bytes[2] = self.version;
        bytes[3] = self.kind;
        bytes[4..8].copy_from_slice(&self.seq.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.arg.to_be_bytes());
        bytes
    }

    /// Parses a header of any version; only the magic and the length are checked.
    pub fn decode(bytes: &[u8]) -> Result<Self, NetAuditError> {
        if bytes.len() < FRAME_LEN {
            return Err(NetAuditError::ShortFrame { len: bytes.len() });
        }
        if bytes[0..2] != MAGIC {
            return Err(NetAuditError::BadMagic { got: [bytes[0], bytes[1]] });
        }
        Ok(Frame {
            version: bytes[2],
            kind: bytes[3],
            seq: u32::from_be_bytes(bytes[4..8].try_into().expect("4 bytes")),
            arg: u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes")),
        })
    }
}

/// The bulk payload: a fixed pattern, one chunk long.
pub(super) fn payload_chunk() -> Vec<u8> {
    (0..CHUNK).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect()
}
