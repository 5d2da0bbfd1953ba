//! Byte scans done eight bytes at a time. Prose has a space every six bytes or so: a loop that
//! branches on each byte mispredicts at nearly every word, while marking every space of an
//! eight-byte word at once with a few exact bit operations does not branch per byte at all.
//!
//! A word's bytes are its lanes; a mask marks a lane by setting that lane's high bit. No carry
//! crosses a lane, so the marks are exact. The whitespace scans expect ASCII text (their callers
//! check); [`lanes_equal`] is exact for any bytes.

const ONES: u64 = 0x0101_0101_0101_0101;
/// Every lane's high bit: the mark of every lane.
pub const ALL_LANES: u64 = 0x8080_8080_8080_8080;

/// Marks the lanes of `word` that hold `byte`.
pub fn lanes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    !(((x & !ALL_LANES) + !ALL_LANES) | x) & ALL_LANES
}

/// Marks the lanes of `word` below `byte` (at most 0x80).
fn lanes_below(word: u64, byte: u8) -> u64 {
    !((word | ALL_LANES) - ONES * u64::from(byte)) & ALL_LANES
}

/// Whether `byte` is ASCII whitespace: what `char::is_whitespace` says of ASCII (space, and tab
/// to carriage return). [`space_lanes`] marks the same bytes, eight at a time.
pub fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t'..=b'\r')
}

/// Marks the lanes of `word` that hold ASCII whitespace, as [`is_space`] says of one byte.
pub fn space_lanes(word: u64) -> u64 {
    lanes_equal(word, b' ') | (lanes_below(word, b'\r' + 1) & !lanes_below(word, b'\t'))
}

/// The eight-byte words of `bytes` in order, each with the offset of its first byte; the last
/// one is padded with `pad`.
pub fn words(bytes: &[u8], pad: u8) -> impl Iterator<Item = (usize, u64)> + '_ {
    let whole = bytes.chunks_exact(8);
    let rest = whole.remainder();
    let last = (!rest.is_empty()).then(|| {
        let mut word = [pad; 8];
        word[..rest.len()].copy_from_slice(rest);
        (bytes.len() - rest.len(), u64::from_le_bytes(word))
    });
    let whole = whole.enumerate().map(|(n, chunk)| {
        let word = <[u8; 8]>::try_from(chunk).unwrap_or_default();
        (n * 8, u64::from_le_bytes(word))
    });
    whole.chain(last)
}

/// The offset within its word of each marked lane, in order.
pub fn marked_lanes(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let lane = (mask.trailing_zeros() / 8) as usize;
        mask &= mask - 1;
        Some(lane)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ascii_byte_is_marked_exactly() {
        for byte in 0u8..128 {
            for lane in 0..8 {
                let mut bytes = *b"ab \t-\r\x0b~";
                bytes[lane] = byte;
                let word = u64::from_le_bytes(bytes);
                let spaces: Vec<usize> = marked_lanes(space_lanes(word)).collect();
                let expected: Vec<usize> = (0..8)
                    .filter(|&i| (bytes[i] as char).is_whitespace())
                    .collect();
                assert_eq!(spaces, expected, "{bytes:?}");
                let one_by_one: Vec<usize> = (0..8).filter(|&i| is_space(bytes[i])).collect();
                assert_eq!(one_by_one, expected, "{bytes:?}");
                let hyphens: Vec<usize> = marked_lanes(lanes_equal(word, b'-')).collect();
                let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] == b'-').collect();
                assert_eq!(hyphens, expected, "{bytes:?}");
            }
        }
    }

    #[test]
    fn words_cover_the_bytes_and_pad_the_last() {
        let words: Vec<(usize, u64)> = words(b"0123456789", b'x').collect();
        assert_eq!(
            words,
            [
                (0, u64::from_le_bytes(*b"01234567")),
                (8, u64::from_le_bytes(*b"89xxxxxx"))
            ]
        );
    }
}
