//! The hot path of the shard and of the recording reader: validate a frame as JSON and read its
//! envelope in one tight pass.
//!
//! [`peek`] is a faster stand-in for [`Envelope::peek`] on the common shape of frames. It accepts
//! only valid JSON, and whenever anything is unusual (escaped top-level keys, a non-integer `s`,
//! duplicate keys, deep nesting) it returns `None` so the caller falls back to the serde peek,
//! which has the final word. So: `Some` is always what the serde peek would say; `None` means
//! "ask serde".
//!
//! Escapes are on the fast path: the platform writes `&`, `<` and `>` as `\u0026`, `\u003c` and
//! `\u003e`, so nearly every message frame has some (avatar URLs). Inside `d` and other skipped
//! values an escape is only validated, the way serde_json validates what it does not decode: a
//! backslash must be followed by one of `"\/bfnrt` or by `u` and four hex digits (surrogates are
//! not checked there, by serde either, since `d` is passed on byte-exact). `t` and `id` values
//! with escapes are decoded by serde_json itself, which also rejects lone surrogates there.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use super::Envelope;
use super::EventNames;
use crate::jsonscan::next_special;

/// Nesting limit, below serde_json's 128 so that anything deeper is left to serde (and within
/// the 128-bit stack of `Scan::value`).
const MAX_DEPTH: usize = 100;

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// At an opening quote: skip the string. Returns the body range and whether it had escapes.
    /// Inlined so that keys and values (short and long strings) predict their exits apart.
    /// Escapes are validated as serde_json validates strings it skips: `\u` needs four hex
    /// digits, and surrogates are not paired up (that matters only when decoding).
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = next_special(self.b, self.i);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i - 1, escaped));
                }
                b'\\' => {
                    escaped = true;
                    match self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                // Control characters; `next_special` stops at nothing else.
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A JSON number; returns its value when it is a plain non-negative integer that fits u64.
    fn number(&mut self) -> Option<Option<u64>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return None;
        }
        let mut plain = !negative;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
            plain = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            plain = false;
        }
        if !plain {
            return Some(None);
        }
        // Plain digits: the value, or `None` past u64 (serde would not read it as u64 either).
        let mut value = 0u64;
        for &c in &self.b[int_start..self.i] {
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => v,
                None => return Some(None),
            };
        }
        Some(Some(value))
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b
            .get(self.i..self.i + word.len())
            .filter(|w| *w == word)?;
        self.i += word.len();
        Some(())
    }

    /// Skip one complete value of any kind, validating it.
    fn value(&mut self) -> Option<()> {
        // Bit stack, one bit per open container (1 = object, 0 = array), innermost lowest.
        let mut stack: u128 = 0;
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    self.i += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        stack = (stack << 1) | u128::from(open == b'{');
                        depth += 1;
                        if open == b'{' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return None,
            }
            // After a value: close containers or move to the next element.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let in_object = stack & 1 == 1;
                match (in_object, self.peek()?) {
                    (_, b',') => {
                        self.i += 1;
                        if in_object {
                            self.ws();
                            self.key()?;
                        }
                        break;
                    }
                    (true, b'}') | (false, b']') => {
                        self.i += 1;
                        stack >>= 1;
                        depth -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// Find the end of the container at `self.i` (`{` or `[`) without validating what is
    /// inside: strings are skipped whole, so that brackets inside them do not count, and
    /// brackets are counted. On valid JSON it ends exactly where [`value`](Self::value) would;
    /// on anything else it ends somewhere or returns `None`, never past the text.
    fn skip_container(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    loop {
                        self.i = next_special(self.b, self.i);
                        match *self.b.get(self.i)? {
                            b'"' => break,
                            b'\\' => self.i += 2,
                            _ => self.i += 1,
                        }
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// A member key and its colon. Inlined into the loops that read members, which keeps the
    /// scanner's constants in registers across keys.
    #[inline(always)]
    fn key(&mut self) -> Option<(usize, usize, bool)> {
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        Some(key)
    }
}

/// A string value of a frame: where its text sits in the frame when the JSON string had no
/// escapes (the common case: nothing is copied), or its decoded value when it had some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// The byte range of the string's body (between the quotes) inside the frame text.
    InFrame(Range<usize>),
    /// The decoded value: the JSON string had escapes.
    Decoded(Box<str>),
}

impl Span {
    /// Locate `value` in `text`: a range when `value` is a slice of `text` itself, a copy
    /// otherwise.
    pub fn locate(value: &str, text: &str) -> Span {
        let start = (value.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        match start.checked_add(value.len()) {
            Some(end)
                if text
                    .get(start..end)
                    .is_some_and(|s| s.as_ptr() == value.as_ptr()) =>
            {
                Span::InFrame(start..end)
            }
            _ => Span::Decoded(value.into()),
        }
    }

    /// The value, read from `text` (the frame it was located in). A range that does not fit
    /// `text` reads as empty rather than panicking.
    pub fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Span::InFrame(range) => text.get(range.clone()).unwrap_or(""),
            Span::Decoded(value) => value,
        }
    }
}

/// A frame's envelope with `d` located rather than parsed: what the shard and the recording
/// reader need of every frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    /// `op`.
    pub op: u64,
    /// `s`.
    pub seq: Option<u64>,
    /// `t` (shared between frames of the same type).
    pub t: Option<Arc<str>>,
    /// `id`: where it sits in the text, or its decoded value when it had escapes.
    pub id: Option<Span>,
    /// Where `d` sits in the text (empty when absent or null).
    pub d_range: Range<usize>,
}

impl Peeked {
    /// Peek at a frame: the fast scanner on the common shape, serde for the rest. `None` when
    /// the text is not a gateway envelope.
    pub fn of(text: &str, names: &mut EventNames) -> Option<Peeked> {
        peek(text, names).or_else(|| Peeked::of_serde(text, names))
    }

    /// The reference peek through [`Envelope::peek`].
    pub fn of_serde(text: &str, names: &mut EventNames) -> Option<Peeked> {
        let env = Envelope::peek(text).ok()?;
        Some(Peeked::from_envelope(&env, text, names))
    }

    /// The same facts from an envelope already peeked out of `text`.
    pub fn from_envelope(env: &Envelope<'_>, text: &str, names: &mut EventNames) -> Peeked {
        let d_range = env.d.map_or(0..0, |d| {
            let start = d.get().as_ptr() as usize - text.as_ptr() as usize;
            start..start + d.get().len()
        });
        Peeked {
            op: env.op,
            seq: env.s,
            t: env.t.as_deref().map(|t| names.get(t)),
            id: env.id.as_deref().map(|id| Span::locate(id, text)),
            d_range,
        }
    }

    /// The `id` read from `text` (the frame this was peeked from).
    pub fn id<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        self.id.as_ref().map(|id| id.get(text))
    }

    /// The text of `d` inside `text` (`null` when absent).
    pub fn d<'a>(&self, text: &'a str) -> &'a str {
        if self.d_range.is_empty() {
            "null"
        } else {
            &text[self.d_range.clone()]
        }
    }
}

/// Peek at a frame; `None` means "not sure: use the serde peek".
pub(crate) fn peek(frame: &str, names: &mut EventNames) -> Option<Peeked> {
    peek_with(frame, names, false).map(|(peeked, _)| peeked)
}

/// [`peek`], leaving the check of an object or array `d` to [`check_deferred`]: the shard's
/// thread reads the envelope, and the thread that receives its items checks `d`. Returns
/// whether the check was left (`true`: the frame is not known to be valid JSON yet, and
/// `d_range` is where `d` is if it is).
///
/// When `op`, `s`, `t` and `id` all come before `d`, nothing after `d` matters to the
/// envelope, so `d` is taken to run to the frame's closing brace, unread; otherwise its end is
/// found by [`Scan::skip_container`] and the keys after it are read as usual. Either way, a
/// frame whose `d` passes [`check_deferred`] is exactly what [`peek`] would have accepted,
/// with the same answer.
pub(crate) fn peek_deferring(frame: &str, names: &mut EventNames) -> Option<(Peeked, bool)> {
    peek_with(frame, names, true)
}

/// Whether the `d` that [`peek_deferring`] located at `d_range` in `frame` is one valid JSON
/// value ending exactly at `d_range.end` (what [`peek`] checks as it reads).
pub(crate) fn check_deferred(frame: &str, d_range: &Range<usize>) -> bool {
    let Some(b) = frame.as_bytes().get(..d_range.end) else {
        return false;
    };
    let mut s = Scan {
        b,
        i: d_range.start,
    };
    s.value().is_some() && s.i == d_range.end
}

/// The envelope members of a frame that starts the way the platform writes them, with no
/// whitespace: `{"op":N,"s":N,"t":"…","id":"…",` and then a next key. Anything else (another
/// order, whitespace, `null`, escapes, numbers that are not plain digits) is `None`, and the
/// general loop of [`peek_with`] reads the frame from its start.
struct Prefix {
    op: u64,
    seq: u64,
    t: Arc<str>,
    id: Span,
    /// Where the next key starts (after the comma).
    next: usize,
}

#[inline]
fn canonical_prefix(frame: &str, names: &mut EventNames) -> Option<Prefix> {
    let b = frame.as_bytes();
    let mut i = expect(b, 0, b"{\"op\":")?;
    let op;
    (op, i) = plain_digits(b, i)?;
    i = expect(b, i, b",\"s\":")?;
    let seq;
    (seq, i) = plain_digits(b, i)?;
    i = expect(b, i, b",\"t\":\"")?;
    let t_end = next_special(b, i);
    if *b.get(t_end)? != b'"' {
        return None;
    }
    let t = i..t_end;
    i = expect(b, t_end + 1, b",\"id\":\"")?;
    let id_end = next_special(b, i);
    if *b.get(id_end)? != b'"' {
        return None;
    }
    let id = Span::InFrame(i..id_end);
    let next = expect(b, id_end + 1, b",\"")? - 1;
    Some(Prefix {
        op,
        seq,
        t: names.get(frame.get(t)?),
        id,
        next,
    })
}

/// `end` moved back over the JSON whitespace before it in `b`.
#[inline]
fn trim_ws_end(b: &[u8], mut end: usize) -> usize {
    while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
        end -= 1;
    }
    end
}

/// The index after `want` when `b` has it at `at`.
#[inline(always)]
fn expect(b: &[u8], at: usize, want: &[u8]) -> Option<usize> {
    let end = at.checked_add(want.len())?;
    (b.get(at..end)? == want).then_some(end)
}

/// The digits of a JSON integer at `at` (no sign, no leading zero), at most 19 of them so that
/// the value fits u64, and the index after them.
#[inline(always)]
fn plain_digits(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut i = at;
    let mut value = 0u64;
    while let Some(&c) = b.get(i)
        && c.is_ascii_digit()
    {
        if i - at == 19 {
            return None;
        }
        value = value * 10 + u64::from(c - b'0');
        i += 1;
    }
    let n = i - at;
    // A fraction or an exponent fails the caller's next `expect`.
    if n == 0 || (n > 1 && b[at] == b'0') {
        return None;
    }
    Some((value, i))
}

fn peek_with(frame: &str, names: &mut EventNames, defer: bool) -> Option<(Peeked, bool)> {
    let mut deferred = false;
    let mut s = Scan {
        b: frame.as_bytes(),
        i: 0,
    };
    let mut op = None;
    let mut seq = None;
    let mut t = None;
    let mut id = None;
    let mut d_range = 0..0;
    let mut seen = [false; 5];
    if let Some(prefix) = canonical_prefix(frame, names) {
        // What the loop below would have read of those four members, and where it would be.
        op = Some(prefix.op);
        seq = Some(prefix.seq);
        t = Some(prefix.t);
        id = Some(prefix.id);
        seen[..4].fill(true);
        s.i = prefix.next;
    } else {
        s.eat(b'{')?;
        s.ws();
        // `{}` has no `op`.
        if s.peek()? == b'}' {
            return None;
        }
    }
    loop {
        s.ws();
        let (ks, ke, escaped) = s.key()?;
        if escaped {
            return None;
        }
        s.ws();
        let slot = match &s.b[ks..ke] {
            b"op" => 0,
            b"s" => 1,
            b"t" => 2,
            b"id" => 3,
            b"d" => 4,
            _ => {
                s.value()?;
                5
            }
        };
        if slot < 5 {
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            let null = s.b[s.i..].starts_with(b"null");
            match slot {
                0 => op = Some(s.number()??),
                1 if null => s.i += 4,
                1 => seq = Some(s.number()??),
                2 | 3 if null => s.i += 4,
                2 | 3 => {
                    let (vs, ve, escaped) = s.string()?;
                    let text = if escaped {
                        // Rare: let serde_json decode it, with its rules (lone surrogates
                        // fail, and then so does the serde peek).
                        let quoted = frame.get(vs - 1..ve + 1)?;
                        Cow::Owned(serde_json::from_str::<String>(quoted).ok()?)
                    } else {
                        Cow::Borrowed(frame.get(vs..ve)?)
                    };
                    if slot == 2 {
                        t = Some(names.get(&text))
                    } else {
                        id = Some(match text {
                            Cow::Borrowed(_) => Span::InFrame(vs..ve),
                            Cow::Owned(decoded) => Span::Decoded(decoded.into()),
                        })
                    }
                }
                _ if null => s.i += 4,
                _ if defer && matches!(s.peek(), Some(b'{' | b'[')) => {
                    let start = s.i;
                    deferred = true;
                    if seen[..4] == [true; 4] {
                        // The envelope is read: `d` runs to the closing brace.
                        let close = trim_ws_end(s.b, s.b.len()).checked_sub(1)?;
                        if s.b[close] != b'}' {
                            return None;
                        }
                        let end = trim_ws_end(s.b, close);
                        if end <= start {
                            return None;
                        }
                        d_range = start..end;
                        s.i = close;
                        break;
                    }
                    s.skip_container()?;
                    d_range = start..s.i;
                }
                _ => {
                    let start = s.i;
                    s.value()?;
                    d_range = start..s.i;
                }
            }
        }
        s.ws();
        match s.peek()? {
            b',' => s.i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    s.eat(b'}')?;
    s.ws();
    if s.i != s.b.len() {
        return None;
    }
    Some((
        Peeked {
            op: op?,
            seq,
            t,
            id,
            d_range,
        },
        deferred,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_peek(frame: &str) -> Option<Peeked> {
        Peeked::of_serde(frame, &mut EventNames::default())
    }

    fn peek(frame: &str) -> Option<Peeked> {
        super::peek(frame, &mut EventNames::default())
    }

    const FRAMES: &[&str] = &[
        r#"{"op":0,"s":42,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:1","d":{"author":{"id":"1234","bot":false},"content":"<@!1> hi 文 \"q\" \\ \/","n":-1.5e-3,"z":0,"a":[1,[2,{}],[],{"x":null}],"t":true}}"#,
        r#"{ "id": "X:1", "op": 0, "d": {}, "s": 42, "t": "X" }"#,
        r#"{"op":10,"d":{"heartbeat_interval":45000}}"#,
        r#"{"op":11}"#,
        r#"{"op":1,"d":null}"#,
        r#"{"op":0,"s":2002,"t":"RESUMED","d":""}"#,
        r#"{"t":null,"d":{"token":"QQBot x"},"s":null,"op":2}"#,
        r#"{"op":9,"d":false}"#,
        r#"{"op":0,"s":1,"t":"X","d":[1,2,3]}"#,
        "{\"op\":0,\r\n\t\"d\" : 7 }",
        r#"{"op":0,"s":7,"t":"MESSAGE_CREATE","id":"MESSAGE_CREATE:7","d":{"author":{"avatar":"https://thirdqq.qlogo.cn/g?b=oidb\u0026k=IU4JJatZtNXCVrf44eshNg\u0026s=0","id":"1"},"content":"\u003c@!1\u003e a\u003eb \ud83d\ude00 \u6587"}}"#,
    ];

    /// Escapes the fast path takes, compared with serde: in `d` (validated only, kept byte-exact),
    /// in skipped top-level values, and in `t`/`id` (decoded).
    const ESCAPED: &[&str] = &[
        r#"{"op":0,"d":"\u0026\u003c\u003e\u003C\u003E"}"#,
        r#"{"op":0,"d":{"k\u0026":"\" \\ \/ \b \f \n \r \t"}}"#,
        r#"{"op":0,"d":["\ud83d\ude00","\uD83D\uDE00"]}"#,
        // serde_json does not pair surrogates in text it skips or keeps raw, so neither do we.
        r#"{"op":0,"d":"lone \ud800 and \udc00 and \ude00\ud83d"}"#,
        r#"{"op":0,"x":"\u0026\ud800","d":1}"#,
        r#"{"op":0,"t":"READ\u0059","id":"a\u0026b"}"#,
        r#"{"op":0,"t":"a\"b\\c\/","id":"\ud83d\ude00"}"#,
        r#"{"op":0,"t":"\u0041T_MESSAGE_CREATE","id":"\t\n"}"#,
    ];

    /// Escapes serde rejects (or, for an escaped top-level key, reads differently): the fast
    /// peek must not answer.
    const BAD_ESCAPES: &[&str] = &[
        r#"{"op":0,"d":"\x"}"#,
        r#"{"op":0,"d":"\u12"}"#,
        r#"{"op":0,"d":"\u12"#,
        r#"{"op":0,"d":"\u12G4"}"#,
        r#"{"op":0,"d":"\U0026"}"#,
        r#"{"op":0,"d":"\"#,
        r#"{"op":0,"d":"\'"}"#,
        r#"{"op":0,"t":"\ud800"}"#,
        r#"{"op":0,"id":"\udc00x"}"#,
        r#"{"op":0,"t":"\ud83d\u0041"}"#,
        r#"{"op":0,"t":"\x"}"#,
        r#"{"o\u0070":0}"#,
    ];

    #[test]
    fn escapes_stay_on_the_fast_path_and_agree_with_serde() {
        for frame in ESCAPED {
            let fast = peek(frame);
            assert!(fast.is_some(), "{frame}");
            assert_eq!(fast, serde_peek(frame), "{frame}");
        }
        let mut names = EventNames::default();
        let p = super::peek(ESCAPED[7], &mut names).unwrap();
        assert_eq!(p.t.as_deref(), Some("AT_MESSAGE_CREATE"));
        assert_eq!(p.id(ESCAPED[7]), Some("\t\n"));
        let p = super::peek(ESCAPED[6], &mut names).unwrap();
        assert_eq!(p.id, Some(Span::Decoded("\u{1f600}".into())));
        // An id without escapes is not copied: it is a range of the frame.
        let p = super::peek(FRAMES[0], &mut names).unwrap();
        assert!(matches!(p.id, Some(Span::InFrame(_))));
        assert_eq!(p.id(FRAMES[0]), Some("AT_MESSAGE_CREATE:1"));
        // `d` is not decoded: its text is the frame's own bytes.
        let frame = FRAMES[FRAMES.len() - 1];
        let p = super::peek(frame, &mut names).unwrap();
        assert!(p.d(frame).contains(r"oidb\u0026k=") && p.d(frame).ends_with(r#"\u6587"}"#));
    }

    #[test]
    fn bad_escapes_fall_back_to_serde() {
        for frame in BAD_ESCAPES {
            assert_eq!(peek(frame), None, "{frame}");
            assert_eq!(
                Peeked::of(frame, &mut EventNames::default()),
                serde_peek(frame),
                "{frame}"
            );
        }
        // serde rejects all but the escaped key.
        for frame in &BAD_ESCAPES[..BAD_ESCAPES.len() - 1] {
            assert_eq!(serde_peek(frame), None, "{frame}");
        }
    }

    #[test]
    fn agrees_with_the_serde_peek_on_real_frames() {
        for frame in FRAMES {
            let fast = peek(frame);
            assert!(fast.is_some(), "{frame}");
            assert_eq!(fast, serde_peek(frame), "{frame}");
        }
    }

    #[test]
    fn unusual_or_invalid_frames_defer_to_serde() {
        for frame in [
            r#"{"op":0,"op":1}"#,
            r#"{"op":0,"s":1.0}"#,
            r#"{"op":-1}"#,
            r#"{"op":0,"s":99999999999999999999}"#,
            r#"{"s":1}"#,
            r#"{"op":01}"#,
            r#"{"op":0,"d":{"a":1,}}"#,
            r#"{"op":0,"d":[1 2]}"#,
            r#"{"op":0,"d":tru}"#,
            r#"{"op":0,"d":"ctl	tab"}"#,
            r#"{"op":0} x"#,
            r#"{"op":0"#,
            "[1]",
            "",
        ] {
            assert_eq!(peek(frame), None, "{frame}");
        }
    }

    /// Nesting up to the limit stays on the fast path, objects and arrays mixed, also past 64
    /// levels (the upper half of the bit stack); a wrong closer at any depth is refused; deeper
    /// than the limit goes to serde, which has the final word.
    #[test]
    fn deep_nesting_to_the_limit_and_beyond() {
        // Level k (1-based) is an object when k % 3 == 0, else an array.
        let nested = |depth: usize, wrong_closer_at: Option<usize>| {
            let mut d = String::new();
            for k in 1..=depth {
                d.push_str(if k % 3 == 0 { "{\"k\":" } else { "[" });
            }
            d.push('1');
            for k in (1..=depth).rev() {
                let object = k % 3 == 0;
                let closer = if Some(k) == wrong_closer_at {
                    !object
                } else {
                    object
                };
                d.push(if closer { '}' } else { ']' });
            }
            format!(r#"{{"op":0,"s":5,"t":"X","d":{d}}}"#)
        };
        for depth in [1, 63, 64, 65, 99, MAX_DEPTH] {
            let frame = nested(depth, None);
            let fast = peek(&frame).unwrap_or_else(|| panic!("depth {depth} left the fast path"));
            assert_eq!(Some(fast), serde_peek(&frame), "depth {depth}");
            for wrong in [1, depth / 2 + 1, depth] {
                let bad = nested(depth, Some(wrong));
                assert_eq!(peek(&bad), None, "depth {depth}, wrong closer at {wrong}");
                assert_eq!(
                    serde_peek(&bad),
                    None,
                    "depth {depth}, wrong closer at {wrong}"
                );
            }
        }
        // Past the limit: not the fast path's call; serde decides.
        for depth in [MAX_DEPTH + 1, 130] {
            let deeper = nested(depth, None);
            assert_eq!(peek(&deeper), None, "depth {depth}");
            assert_eq!(
                Peeked::of(&deeper, &mut EventNames::default()),
                serde_peek(&deeper),
                "depth {depth}"
            );
        }
        assert!(serde_peek(&nested(MAX_DEPTH + 1, None)).is_some());
    }

    /// `rounds` valid frames (of `pool`, in turn) with one to three bytes replaced, removed or
    /// inserted, those that are still UTF-8.
    fn mutations(pool: &[&str], rounds: usize) -> Vec<String> {
        let alphabet = b" \t{}[]\",:\\-+.eE0123456789tfnulxuuudDaF";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut out = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let mut bytes = pool[round % pool.len()].as_bytes().to_vec();
            for _ in 0..1 + next() % 3 {
                let pos = (next() as usize) % (bytes.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if pos < bytes.len() => bytes[pos] = c,
                    1 if pos < bytes.len() => {
                        bytes.remove(pos);
                    }
                    _ => bytes.insert(pos, c),
                }
            }
            if let Ok(text) = String::from_utf8(bytes) {
                out.push(text);
            }
        }
        out
    }

    /// Mutate valid frames byte by byte: whenever the fast peek answers, it must agree with serde
    /// (and so the text must be valid JSON).
    #[test]
    fn the_platform_prefix_reads_what_the_general_loop_reads() {
        let canonical = [
            FRAMES[0],
            FRAMES[10],
            r#"{"op":0,"s":18446744073709551615,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":1,"t":"","id":"","x":[1],"d":{},"y":2}"#,
        ];
        for frame in canonical {
            assert!(
                canonical_prefix(frame, &mut EventNames::default()).is_some()
                    || frame.contains("18446744073709551615"),
                "{frame}"
            );
            assert!(peek(frame).is_some(), "{frame}");
            assert_eq!(peek(frame), serde_peek(frame), "{frame}");
        }
        // Frames that start like the platform's and then are not, or not quite.
        let near = [
            r#"{"op":0,"s":1,"t":"X","id":"X:1","op":1,"d":{}}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1","id":"X:2","d":{}}"#,
            r#"{"op":0,"s":01,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":00,"s":1,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":1.5,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":1e3,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":-1,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":null,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":18446744073709551616,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":99999999999999999999,"t":"X","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":1,"t":"X\u0041","id":"X:1","d":{}}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X\"1","d":{}}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1"}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1","d":{}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1",}"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1","d":{}} x"#,
            r#"{"op":0,"s":1,"t":"X","id":"X:1", "d":{}}"#,
            "{\"op\":0,\"s\":1,\"t\":\"X\u{1}\",\"id\":\"X:1\",\"d\":{}}",
            r#"{"op":0,"s":1,"t":"X","id":"X:1","#,
            r#"{"op":0,"s":"#,
        ];
        for frame in near {
            let fast = peek(frame);
            if fast.is_some() {
                assert_eq!(fast, serde_peek(frame), "{frame}");
            }
            if let Some((peeked, _)) = peek_deferring(frame, &mut EventNames::default())
                && check_deferred(frame, &peeked.d_range)
            {
                assert_eq!(Some(peeked), serde_peek(frame), "deferred: {frame}");
            }
        }
        for answered in [near[10], near[11], near[16]] {
            assert!(
                peek(answered).is_some(),
                "the general loop reads {answered}"
            );
        }
        for refused in [
            near[0], near[1], near[2], near[3], near[13], near[14], near[15],
        ] {
            assert_eq!(peek(refused), None, "{refused}");
        }
        // Mutations, nearly all of them in the envelope's members (`d` is short).
        let pool = [
            r#"{"op":0,"s":42,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:1","d":{}}"#,
            r#"{"op":0,"s":7,"t":"X","id":"X:7","d":[1]}"#,
        ];
        agrees_with_serde_on_mutations(&pool, 20_000);
    }

    /// Every answer of the fast peek on `rounds` mutations of `pool` is serde's, and it answers
    /// often enough for that to mean something.
    fn agrees_with_serde_on_mutations(pool: &[&str], rounds: usize) {
        let mut answered = 0;
        for text in mutations(pool, rounds) {
            if let Some(fast) = peek(&text) {
                answered += 1;
                assert_eq!(Some(fast), serde_peek(&text), "{text}");
            }
        }
        assert!(answered > 1000, "the fast path answers often: {answered}");
    }

    #[test]
    fn never_accepts_what_serde_rejects() {
        let pool: Vec<&str> = FRAMES.iter().chain(ESCAPED).copied().collect();
        agrees_with_serde_on_mutations(&pool, 30_000);
    }

    /// Frames whose `d` is not where the deferring peek first takes it to be.
    const AFTER_D: &[&str] = &[
        // Unknown keys after `d`, with the envelope read before it: `d` is taken to run to the
        // end, the check fails, and the full peek finds it.
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"k":1},"x":2}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":[1,{"k":"}"}] , "x":{"y":[]} }"#,
        // A key of the envelope again after `d`: invalid (serde refuses duplicates).
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"k":1},"s":2}"#,
        // The documented order: `d` before `s` and `t`, skipped to its end.
        r#"{ "id": "X:1", "op": 0, "d": {"a":"}]\"{","b":[{}]}, "s": 42, "t": "X" }"#,
        r#"{"op":0,"d":{"a":{"b":[1,2,{"c":"\u0026"}]}},"s":3,"t":"X","id":"b"}"#,
        r#"{"op":0,"d":{"a":tru},"s":3,"t":"X"}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"a":tru}}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"a":1}}}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"a":1}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":}"#,
        r#"{"op":0,"s":1,"t":"X","id":"a","d":{"a":"}"#,
    ];

    /// The deferring peek followed by the check of `d` answers exactly what the peek answers:
    /// - what the peek accepts, the deferring peek accepts;
    /// - nothing deferred: the same answer;
    /// - deferred and the check passes: the same answer;
    /// - deferred and the check fails: the peek refuses the frame, or finds the same envelope
    ///   (`op`, `s`, `t`, `id`) with `d` elsewhere (keys after it).
    #[test]
    fn a_deferred_check_answers_what_the_peek_answers() {
        let corpus: Vec<&str> = FRAMES
            .iter()
            .chain(ESCAPED)
            .chain(AFTER_D)
            .copied()
            .collect();
        let mut frames: Vec<String> = corpus.iter().map(|f| f.to_string()).collect();
        frames.extend(BAD_ESCAPES.iter().map(|f| f.to_string()));
        frames.extend(mutations(&corpus, 30_000));
        let (mut deferred, mut failed) = (0, 0);
        for text in &frames {
            let full = peek(text);
            let (fast, was_deferred) = match super::peek_deferring(text, &mut EventNames::default())
            {
                Some(answer) => answer,
                None => {
                    assert_eq!(full, None, "{text}");
                    continue;
                }
            };
            if !was_deferred {
                assert_eq!(full.as_ref(), Some(&fast), "{text}");
                continue;
            }
            deferred += 1;
            if super::check_deferred(text, &fast.d_range) {
                assert_eq!(full.as_ref(), Some(&fast), "{text}");
            } else {
                failed += 1;
                if let Some(full) = full {
                    let envelope =
                        |p: &Peeked| (p.op, p.seq, p.t.clone(), p.id(text).map(str::to_owned));
                    assert_eq!(envelope(&full), envelope(&fast), "{text}");
                }
            }
        }
        assert!(
            deferred > 1000 && failed > 100,
            "{deferred} deferred, {failed} failed"
        );
        // The cases above, one by one.
        let answer = |f: &str| {
            let (p, deferred) = super::peek_deferring(f, &mut EventNames::default())?;
            Some((
                deferred,
                super::check_deferred(f, &p.d_range),
                p.d(f).to_owned(),
            ))
        };
        assert_eq!(
            answer(AFTER_D[0]),
            Some((true, false, r#"{"k":1},"x":2"#.into()))
        );
        assert_eq!(peek(AFTER_D[0]).unwrap().d(AFTER_D[0]), r#"{"k":1}"#);
        assert_eq!(peek(AFTER_D[2]), None);
        assert_eq!(
            answer(AFTER_D[3]),
            Some((true, true, r#"{"a":"}]\"{","b":[{}]}"#.into()))
        );
        assert_eq!(answer(AFTER_D[5]).map(|a| a.1), Some(false));
        assert_eq!(answer(AFTER_D[6]).map(|a| a.1), Some(false));
        for f in &AFTER_D[7..] {
            assert_eq!(peek(f), None, "{f}");
            assert!(answer(f).is_none_or(|(_, ok, _)| !ok), "{f}");
        }
    }
}
