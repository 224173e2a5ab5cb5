//! PROTOCOL.md Appendix A test vectors, exactly, plus the op 13 answer shape.

use qqbot::Secret;
use qqbot::webhook::{
    SignatureError, ValidationAnswer, ValidationRequest, WebhookKey, derive_seed, sign, verify,
};

const VALIDATION_SIG: &str = "87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706";
const EVENT_SIG: &str = "e949b5b94ef4103df903fb031d1d16e358db3db83e79e117edd404c8508be3ce8a76d7bad1bed353194c126a1a5915b4ad8b5288c1191cc53a12acffccd82004";
const EVENT_BODY: &str = r#"{"id":"ROBOT1.0_veoihSEXDc8Q.g-6eLpNIa11bH8MisOjn-m-LKxCPntMk6exUXgcWCGpVO7L2QKTNZzjZzFFDSbiOFcqAPWyVA!!","content":"哦一下","timestamp":"2024-10-15T16:33:15+08:00","author":{"id":"675860273","user_openid":"675860273"}}"#;

#[test]
fn appendix_a_validation_signature() {
    let secret = Secret::new("DG5g3B4j9X2KOErG");
    let sig = sign(&secret, "1725442341", b"Arq0D5A61EgUu4OxUvOp").unwrap();
    assert_eq!(sig, VALIDATION_SIG);

    let key = WebhookKey::from_secret(&secret).unwrap();
    let request: ValidationRequest =
        serde_json::from_str(r#"{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"}"#)
            .unwrap();
    let answer = ValidationAnswer::sign(&key, &request);
    assert_eq!(
        serde_json::to_string(&answer).unwrap(),
        format!(r#"{{"plain_token":"Arq0D5A61EgUu4OxUvOp","signature":"{VALIDATION_SIG}"}}"#)
    );
}

#[test]
fn appendix_a_event_signature_and_verification() {
    let secret = Secret::new("123456abcdef");
    let sig = sign(&secret, "1728981195", EVENT_BODY.as_bytes()).unwrap();
    assert_eq!(sig, EVENT_SIG);
    let pk = WebhookKey::from_secret(&secret).unwrap().public_key();
    assert_eq!(
        verify(&pk, "1728981195", EVENT_BODY.as_bytes(), EVENT_SIG),
        Ok(())
    );
    // Upper-case hex is the same signature.
    assert_eq!(
        verify(
            &pk,
            "1728981195",
            EVENT_BODY.as_bytes(),
            &EVENT_SIG.to_uppercase()
        ),
        Ok(())
    );
    // One byte of the body changed, or the timestamp, and it no longer verifies.
    let tampered = EVENT_BODY.replace("哦一下", "哦两下");
    assert_eq!(
        verify(&pk, "1728981195", tampered.as_bytes(), EVENT_SIG),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&pk, "1728981196", EVENT_BODY.as_bytes(), EVENT_SIG),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn appendix_a_key_derivation() {
    let secret = Secret::new("naOC0ocQE3shWLAfffVLB1rhYPG7");
    assert_eq!(
        &derive_seed(&secret).unwrap(),
        b"naOC0ocQE3shWLAfffVLB1rhYPG7naOC"
    );
    let pk = WebhookKey::from_secret(&secret).unwrap().public_key();
    assert_eq!(
        pk.to_bytes(),
        [
            215, 195, 98, 254, 120, 174, 248, 31, 242, 50, 135, 180, 147, 98, 139, 93, 176, 42, 60,
            79, 227, 11, 33, 94, 77, 25, 96, 155, 93, 118, 103, 58
        ]
    );
}

#[test]
fn malformed_signatures_are_refused_by_kind() {
    let pk = WebhookKey::from_secret(&Secret::new("123456abcdef"))
        .unwrap()
        .public_key();
    let body = EVENT_BODY.as_bytes();
    assert_eq!(
        verify(&pk, "1728981195", body, "zz"),
        Err(SignatureError::NotHex)
    );
    assert_eq!(
        verify(&pk, "1728981195", body, &EVENT_SIG[..64]),
        Err(SignatureError::WrongLength(32))
    );
    // Set the top three bits of the last byte.
    let mut high = EVENT_SIG[..126].to_owned();
    high.push_str("e4");
    assert_eq!(
        verify(&pk, "1728981195", body, &high),
        Err(SignatureError::NonCanonical)
    );
}
