//! What the emulator saw and did, for tests and the control API: received frames (secrets
//! redacted, capped at [`FRAME_LOG_CAP`]), the bot's sends (and which were recalled), and warnings.

use super::super::passive::Refusal;
use super::super::recall;
use super::super::records::{EmulatorEvent, EmulatorWarning, ReceivedFrame, SentMessage};
use super::{FRAME_LOG_CAP, Shared, lock};

impl Shared {
    /// Replace the secret and every access token ever issued with `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let secret = self.config.secret.expose();
        if !secret.is_empty() {
            out = out.replace(secret, "***");
        }
        for token in lock(&self.tokens).values() {
            if !token.is_empty() && out.contains(token) {
                out = out.replace(token, "***");
            }
        }
        out
    }

    pub fn record_frame(
        &self,
        session_id: Option<&str>,
        connection: u64,
        op: Option<u64>,
        raw: &str,
    ) {
        let frame = ReceivedFrame {
            session_id: session_id.map(str::to_owned),
            connection,
            op,
            raw: self.redact(raw),
            offset: self.offset(),
        };
        let mut frames = lock(&self.frames);
        if frames.len() >= FRAME_LOG_CAP {
            frames.pop_front();
        }
        frames.push_back(frame);
    }

    pub fn received_frames(&self) -> Vec<ReceivedFrame> {
        lock(&self.frames).iter().cloned().collect()
    }

    pub fn record_send(&self, message: SentMessage) {
        self.emit(EmulatorEvent::MessageSent {
            route: message.route.clone(),
            status: message.status,
            code: message.code,
        });
        lock(&self.sent).push(message);
    }

    /// Mark an accepted send recalled, now, under the rules of [`recall::recall`].
    pub fn recall_sent(
        &self,
        send_route: &str,
        target: &str,
        message_id: &str,
    ) -> Result<(), Refusal> {
        let now = self.offset();
        recall::recall(&mut lock(&self.sent), send_route, target, message_id, now)
    }

    pub fn sent_messages(&self) -> Vec<SentMessage> {
        lock(&self.sent).clone()
    }

    pub fn warnings(&self) -> Vec<EmulatorWarning> {
        lock(&self.warnings).clone()
    }
}
