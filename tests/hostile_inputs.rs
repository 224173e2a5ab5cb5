//! Seeded mutation tests over the parsers that see untrusted input: the envelope peeks, intents
//! specs, config files and webhook signature verification. Each input is a small random mutation
//! of a valid one (so the parsers get deep, not just rejected at the first byte); every loop is
//! bounded and deterministic (fixed seeds), and each property can fail. The recording reader's
//! mutation tests live in `tests/record.rs`.

use qqbot::Secret;
use qqbot::config::ConfigFile;
use qqbot::protocol::{Envelope, EventNames, Intents, Peeked};
use qqbot::webhook::{WebhookKey, sign};

/// xorshift64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Replace, insert or delete a few characters of `text` (staying UTF-8), drawing new ones from
/// `alphabet`.
fn mutate(rng: &mut Rng, text: &str, alphabet: &[char]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let c = alphabet[rng.below(alphabet.len())];
        match rng.below(3) {
            0 if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars[i] = c;
            }
            1 => {
                let i = rng.below(chars.len() + 1);
                chars.insert(i, c);
            }
            _ if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars.remove(i);
            }
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

const JSON_CHARS: &[char] = &[
    '{', '}', '[', ']', '"', ':', ',', '\\', ' ', '\n', '0', '1', '9', '-', 'e', '.', 'n', 'u',
    'l', 't', 'd', 's', 'o', 'p', 'é', '\u{0}', '\u{7f}', '文',
];

#[test]
fn envelope_peeks_never_panic_and_the_fast_path_agrees_with_serde() {
    let frames = [
        r#"{"op":0,"s":42,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:abc","d":{"content":"hi \"x\"","author":{"id":"1"}}}"#,
        r#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
        r#"{"d":null,"op":11}"#,
        r#"{"id":"e","op":0,"d":{"a":[1,2,{"b":"\u00e9"}]},"t":"C2C_MESSAGE_CREATE","s":null}"#,
    ];
    let mut rng = Rng(0x5DEE_CE66_D1CE_5EED);
    let mut names = EventNames::default();
    let (mut agreed, mut refused) = (0, 0);
    for i in 0..4000 {
        let text = mutate(&mut rng, frames[i % frames.len()], JSON_CHARS);
        let serde = Peeked::of_serde(&text, &mut names);
        let fast = Peeked::of(&text, &mut names);
        let _ = Envelope::peek(&text).map(|e| e.d_text().len());
        match (serde, fast) {
            (Some(serde), Some(fast)) => {
                assert_eq!(
                    (serde.op, serde.seq, &serde.t, &serde.id),
                    (fast.op, fast.seq, &fast.t, &fast.id),
                    "{text}"
                );
                assert_eq!(serde.d(&text), fast.d(&text), "{text}");
                agreed += 1;
            }
            (Some(serde), None) => panic!("serde read {serde:?}, the fast path nothing: {text}"),
            (None, _) => refused += 1,
        }
    }
    assert!(
        agreed > 100 && refused > 100,
        "{agreed} agreed, {refused} refused"
    );
}

#[test]
fn intents_specs_never_panic_and_what_parses_round_trips() {
    let specs = [
        "guilds,guild_members,public_guild_messages",
        "default",
        "all",
        "GROUP_AND_C2C_EVENT | DIRECT_MESSAGE",
        "1073741824",
        "0x40000000,interaction",
        "all,-guild_messages",
    ];
    let alphabet = &[
        ',', '|', ' ', '-', '+', 'x', '0', '1', '9', 'a', 'g', '_', 'L', 'S', '文', '\t', '!',
    ];
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let (mut ok, mut err) = (0, 0);
    for i in 0..3000 {
        let spec = mutate(&mut rng, specs[i % specs.len()], alphabet);
        match Intents::parse(&spec) {
            Ok(intents) => {
                ok += 1;
                // Its bits as a number parse back to the same intents.
                assert_eq!(
                    Intents::parse(&intents.0.to_string()).ok(),
                    Some(intents),
                    "{spec}"
                );
            }
            Err(e) => {
                err += 1;
                assert!(!e.to_string().is_empty(), "{spec}");
            }
        }
    }
    assert!(ok > 50 && err > 50, "{ok} parsed, {err} refused");
}

#[test]
fn config_files_never_panic_and_never_show_the_secret() {
    let secret = "SeCrEt-do-not-print-42";
    let file = format!(
        "default_profile = \"dev\"\n\n[profile.dev]\napp_id = \"102000000\"\nsecret = \"{secret}\"\nsandbox = true\napi_base = \"https://sandbox.api.sgroup.qq.com\"\n\n[profile.prod]\napp_id = \"1\"\npublic = false\n"
    );
    let alphabet = &[
        '[', ']', '"', '=', '\n', ' ', '#', '.', '\'', 't', 'r', 'u', 'e', '1', '{', '}', ',', '文',
    ];
    let mut rng = Rng(0xFEED_FACE_CAFE_BEEF);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..1500 {
        let text = mutate(&mut rng, &file, alphabet);
        match toml::from_str::<ConfigFile>(&text) {
            Ok(config) => {
                ok += 1;
                assert!(!format!("{config:?}").contains(secret), "{text}");
            }
            Err(e) => {
                err += 1;
                // toml quotes the offending line; the error must at least say where.
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(ok > 50 && err > 50, "{ok} parsed, {err} refused");
}

#[test]
fn webhook_verification_refuses_every_altered_request() {
    let secret = Secret::new("DG5g3B4j9X2KOErG");
    let key = WebhookKey::from_secret(&secret).unwrap().public_key();
    let ts = "1725442341";
    let body = r#"{"op":0,"id":"e","d":{"content":"hi"},"t":"C2C_MESSAGE_CREATE"}"#;
    let sig = sign(&secret, ts, body.as_bytes()).unwrap();
    assert_eq!(key.verify(ts, body.as_bytes(), &sig), Ok(()));
    let hex: Vec<char> = "0123456789abcdef".chars().collect();
    let mut rng = Rng(0xA5A5_5A5A_DEAD_BEEF);
    // Ed25519 is slow in debug builds (~10 ms a verification): 150 cases keep this near 1.5 s.
    for _ in 0..150 {
        match rng.below(4) {
            0 => {
                let altered = mutate(&mut rng, body, JSON_CHARS);
                if altered != body {
                    assert!(
                        key.verify(ts, altered.as_bytes(), &sig).is_err(),
                        "{altered}"
                    );
                }
            }
            1 => {
                let altered = mutate(&mut rng, ts, &['0', '1', '9', ' ', '-']);
                if altered != ts {
                    assert!(
                        key.verify(&altered, body.as_bytes(), &sig).is_err(),
                        "{altered}"
                    );
                }
            }
            2 => {
                // A different hex digit (not a case change) somewhere in the signature.
                let mut chars: Vec<char> = sig.to_ascii_lowercase().chars().collect();
                let i = rng.below(chars.len());
                let other = hex
                    .iter()
                    .copied()
                    .filter(|&c| c != chars[i])
                    .nth(rng.below(15))
                    .unwrap();
                chars[i] = other;
                let altered: String = chars.into_iter().collect();
                assert!(
                    key.verify(ts, body.as_bytes(), &altered).is_err(),
                    "{altered}"
                );
            }
            _ => {
                // Garbage of any shape is refused, never a panic.
                let garbage = mutate(&mut rng, &sig, &['g', 'z', ' ', '0', 'é', '\u{0}', 'F']);
                if !garbage.trim().eq_ignore_ascii_case(&sig) {
                    assert!(
                        key.verify(ts, body.as_bytes(), &garbage).is_err(),
                        "{garbage}"
                    );
                }
            }
        }
    }
}
