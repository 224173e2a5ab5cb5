//! Finding the bytes that end or complicate a JSON string (`"`, `\` and control characters),
//! many bytes at a time. Used by the recording reader's frame scanner and by the NDJSON writer's
//! "does this need escaping" check, both once per string on hot paths.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in (at least) the lowest zero byte of `v`; 0 when no byte is zero.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The index of the first quote, backslash or control character in `b` at or after `from`, or
/// `b.len()` when there is none. Sixteen bytes at a time where the CPU has SSE2 (every x86-64),
/// then eight, then one.
#[inline(always)]
pub(crate) fn next_special(b: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(i..i + 16).and_then(|c| <&[u8; 16]>::try_from(c).ok()) {
        let special = sse2::special(chunk);
        if special != 0 {
            return i + special.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let v = u64::from_le_bytes(chunk);
        // The lowest flagged byte of each mask is exact.
        let special = zero_bytes(v ^ (ONES * u64::from(b'"')))
            | zero_bytes(v ^ (ONES * u64::from(b'\\')))
            | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if is_special(c) {
            return i;
        }
        i += 1;
    }
    b.len()
}

#[inline(always)]
fn is_special(c: u8) -> bool {
    matches!(c, b'"' | b'\\' | 0..=0x1f)
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    /// One bit per byte of `chunk` that is a quote, a backslash or a control character.
    #[inline(always)]
    pub(super) fn special(chunk: &[u8; 16]) -> u32 {
        let v = load_unaligned_m128i(chunk);
        let quote = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8));
        let backslash = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
        // Unsigned b <= 0x1f exactly when min(b, 0x1f) == b.
        let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, set_splat_i8_m128i(0x1f)), v);
        move_mask_i8_m128i(quote | backslash | control) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of strings long enough for each path (16, 8, 1).
    #[test]
    fn finds_exactly_the_first_special_byte() {
        for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 31, 40] {
            for pos in 0..len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    b[pos] = c;
                    let want = if is_special(c) { pos } else { len };
                    assert_eq!(next_special(&b, 0), want, "len {len}, byte {c} at {pos}");
                    if pos > 0 {
                        assert_eq!(next_special(&b, 1), want, "from 1");
                    }
                }
            }
        }
        assert_eq!(next_special(b"ab\"c\\", 0), 2);
        assert_eq!(next_special(b"ab\"c\\", 3), 4);
        assert_eq!(next_special("文字\u{1f}".as_bytes(), 0), 6);
    }
}
