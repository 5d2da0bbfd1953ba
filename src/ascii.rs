//! Byte scans done eight bytes at a time. Prose has a space every six bytes or so: a loop that
//! branches on each byte mispredicts at nearly every word, while marking every space of an
//! eight-byte word at once with a few exact bit operations does not branch per byte at all.
//!
//! A word's bytes are its lanes; a mask marks a lane by setting that lane's high bit. No carry
//! crosses a lane, so the marks are exact. The whitespace and control scans expect ASCII text
//! (their callers check it first, or reject words with a non-ASCII byte in the same scan);
//! [`lanes_equal`] is exact for any bytes.

use std::ops::ControlFlow;

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

/// Marks the lanes of `word` that hold a control character (below the space), whitespace or
/// not. Exact for ASCII; of the other bytes, 0x80 to 0x9F are marked too (callers that may see
/// them test for non-ASCII bytes as well).
pub fn control_lanes(word: u64) -> u64 {
    lanes_below(word, b' ')
}

/// How many lanes `mask` marks. Moving each mark to its lane's low bit and multiplying by
/// [`ONES`] sums the lanes into the top one (at most eight, so no lane overflows): three
/// instructions, where `count_ones` is a dozen on the baseline x86-64, which has no population
/// count instruction.
pub fn count_marked(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(ONES) >> 56) as usize
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

/// Calls `f` with each eight-byte word of `bytes` in order, and the offset of its first byte,
/// until it breaks; the last word is padded with `pad`. (A loop of its own rather than an
/// iterator: chaining the last word onto the whole ones kept the scans' counters on the stack.)
pub fn try_for_each_word<B>(
    bytes: &[u8],
    pad: u8,
    mut f: impl FnMut(usize, u64) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let whole = bytes.chunks_exact(8);
    let rest = whole.remainder();
    for (n, chunk) in whole.enumerate() {
        f(
            n * 8,
            u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default()),
        )?;
    }
    if !rest.is_empty() {
        f(bytes.len() - rest.len(), padded_word(rest, pad))?;
    }
    ControlFlow::Continue(())
}

/// [`try_for_each_word`] to the end.
pub fn for_each_word(bytes: &[u8], pad: u8, mut f: impl FnMut(usize, u64)) {
    let _: ControlFlow<()> = try_for_each_word(bytes, pad, |offset, word| {
        f(offset, word);
        ControlFlow::Continue(())
    });
}

/// The word of `rest`'s bytes (fewer than eight) padded with `pad`, built a byte at a time: a
/// copy of a length unknown in advance would be a library call.
fn padded_word(rest: &[u8], pad: u8) -> u64 {
    let filled = rest.len() * 8;
    let padding = (ONES * u64::from(pad))
        .checked_shl(filled as u32)
        .unwrap_or(0);
    (rest.iter().rev()).fold(0, |word, &b| (word << 8) | u64::from(b)) | padding
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
                let controls: Vec<usize> = marked_lanes(control_lanes(word)).collect();
                let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] < b' ').collect();
                assert_eq!(controls, expected, "{bytes:?}");
                let hyphens: Vec<usize> = marked_lanes(lanes_equal(word, b'-')).collect();
                let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] == b'-').collect();
                assert_eq!(hyphens, expected, "{bytes:?}");
            }
        }
    }

    #[test]
    fn a_short_rest_is_padded_in_place() {
        let bytes = *b"\x01\x7f\x80\xff abc";
        for len in 1..8 {
            let mut copied = [b'~'; 8];
            copied[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(
                padded_word(&bytes[..len], b'~'),
                u64::from_le_bytes(copied),
                "{len}"
            );
        }
    }

    #[test]
    fn every_set_of_marks_is_counted() {
        for lanes in 0u32..256 {
            let mask = (0..8)
                .filter(|lane| lanes & (1 << lane) != 0)
                .fold(0, |mask, lane| mask | (0x80 << (8 * lane)));
            assert_eq!(count_marked(mask), lanes.count_ones() as usize, "{mask:#x}");
        }
    }

    #[test]
    fn words_cover_the_bytes_and_pad_the_last() {
        let mut words = Vec::new();
        for_each_word(b"0123456789", b'x', |offset, word| {
            words.push((offset, word))
        });
        assert_eq!(
            words,
            [
                (0, u64::from_le_bytes(*b"01234567")),
                (8, u64::from_le_bytes(*b"89xxxxxx"))
            ]
        );
    }
}
