//! Broadcast push: the channel management API (on its own port, as Apple serves it from
//! its own host) and sends to a channel on the provider API, checked as APNs documents.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use http::request::Parts;
use http::{HeaderMap, Method};

use super::request::{ConnectionAuth, Sender, authenticate, has_duplicate_headers, header};
use super::rules::ActiveRules;
use crate::apns::{
    ApnsId, CHANNEL_PUSH_TYPE, ChannelId, Expiration, LiveActivityEvent, Payload, PayloadLimit,
    Priority, PushType, Reason, Severity, StoragePolicy, Topic, check_live_activity,
    live_activity_event,
};

/// The channels of every app, in the order they were made.
#[derive(Debug, Default)]
pub(crate) struct Channels {
    apps: Mutex<HashMap<String, Vec<(ChannelId, StoragePolicy)>>>,
}

impl Channels {
    fn apps(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<(ChannelId, StoragePolicy)>>> {
        self.apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn create(&self, app: &str, policy: StoragePolicy, limit: usize) -> Result<ChannelId, Reason> {
        let mut apps = self.apps();
        let channels = apps.entry(app.to_owned()).or_default();
        if channels.len() >= limit {
            return Err(Reason::CannotCreateChannelConfig);
        }
        // 16 random bytes, base64: the shape of Apple's ids.
        let text =
            base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes());
        let id: ChannelId = text.parse().map_err(|_| Reason::InternalServerError)?;
        channels.push((id.clone(), policy));
        Ok(id)
    }

    fn policy(&self, app: &str, id: &ChannelId) -> Option<StoragePolicy> {
        self.apps()
            .get(app)?
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, policy)| *policy)
    }

    fn delete(&self, app: &str, id: &ChannelId) -> bool {
        let mut apps = self.apps();
        let Some(channels) = apps.get_mut(app) else {
            return false;
        };
        let before = channels.len();
        channels.retain(|(known, _)| known != id);
        channels.len() != before
    }

    /// The channels of `app`, oldest first.
    pub(crate) fn list(&self, app: &str) -> Vec<(ChannelId, StoragePolicy)> {
        self.apps().get(app).cloned().unwrap_or_default()
    }
}

/// A management request's answer on success.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Managed {
    /// 200, 201 or 204.
    pub(crate) status: u16,
    /// For a create: the new channel's id, sent in `apns-channel-id`.
    pub(crate) channel: Option<ChannelId>,
    /// For a read or a list: the JSON answer.
    pub(crate) body: Vec<u8>,
}

/// The app a request names in its path, which must be a bare bundle id.
fn app_in_path(segment: &str) -> Result<String, Reason> {
    let topic: Topic = segment.parse().map_err(|_| Reason::BadPath)?;
    if topic.bundle_id() != topic.as_str() {
        // Apple: the bundle id in the path takes no push-type suffix.
        return Err(Reason::TopicDisallowed);
    }
    Ok(topic.into())
}

/// The channel a request names, unless the rules refuse it.
fn channel_header(headers: &HeaderMap, rules: &ActiveRules) -> Result<ChannelId, Reason> {
    let channel: ChannelId = header(headers, "apns-channel-id", Reason::BadChannelId)?
        .ok_or(Reason::MissingChannelId)?
        .parse()
        .map_err(|_| Reason::BadChannelId)?;
    match rules.channel_refusal(channel.as_str()) {
        Some(reason) => Err(reason),
        None => Ok(channel),
    }
}

fn request_id(headers: &HeaderMap) -> Result<(), Reason> {
    if let Some(text) = header(headers, "apns-request-id", Reason::BadMessageId)? {
        text.parse::<ApnsId>().map_err(|_| Reason::BadMessageId)?;
    }
    Ok(())
}

/// Who may act for `app`, and whether broadcast is enabled for it.
fn authorize(
    headers: &HeaderMap,
    auth: &ConnectionAuth,
    now: u64,
    app: &str,
    rules: &ActiveRules,
) -> Result<(), Reason> {
    let sender: Sender<'_> = authenticate(headers, auth, now)?;
    if !sender.covers_app(app) {
        return Err(Reason::TopicMismatch);
    }
    if rules
        .rules
        .broadcast_disabled
        .iter()
        .any(|disabled| disabled == app)
    {
        return Err(Reason::FeatureNotEnabled);
    }
    Ok(())
}

/// Answers one request to the channel management API, in the order APNs checks.
pub(crate) fn manage(
    parts: &Parts,
    body: &[u8],
    auth: &ConnectionAuth,
    now: u64,
    channels: &Channels,
    rules: &ActiveRules,
) -> Result<Managed, Reason> {
    let rest = parts
        .uri
        .path()
        .strip_prefix("/1/apps/")
        .ok_or(Reason::BadPath)?;
    let (app, resource) = rest.split_once('/').ok_or(Reason::BadPath)?;
    let all = match resource {
        "channels" => false,
        "all-channels" => true,
        _ => return Err(Reason::BadPath),
    };
    let method = &parts.method;
    let allowed = if all {
        method == Method::GET
    } else {
        [Method::POST, Method::GET, Method::DELETE].contains(method)
    };
    if !allowed {
        return Err(Reason::MethodNotAllowed);
    }
    let app = app_in_path(app)?;
    let headers = &parts.headers;
    if has_duplicate_headers(headers) {
        return Err(Reason::DuplicateHeaders);
    }
    request_id(headers)?;
    authorize(headers, auth, now, &app, rules)?;

    if all {
        let ids: Vec<String> = channels
            .list(&app)
            .into_iter()
            .map(|(id, _)| id.into())
            .collect();
        return Ok(Managed {
            status: 200,
            channel: None,
            body: serde_json::json!({ "channels": ids })
                .to_string()
                .into_bytes(),
        });
    }
    if *method == Method::POST {
        if body.is_empty() {
            return Err(Reason::PayloadEmpty);
        }
        let config: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| Reason::BadRequestPayload)?;
        let policy = config
            .get("message-storage-policy")
            .and_then(serde_json::Value::as_u64)
            .and_then(StoragePolicy::from_value)
            .ok_or(Reason::BadRequestParams)?;
        match config.get("push-type").and_then(serde_json::Value::as_str) {
            None => return Err(Reason::MissingPushType),
            Some(CHANNEL_PUSH_TYPE) => {}
            Some(_) => return Err(Reason::InvalidPushType),
        }
        let id = channels.create(&app, policy, rules.rules.max_channels_per_app as usize)?;
        return Ok(Managed {
            status: 201,
            channel: Some(id),
            body: Vec::new(),
        });
    }
    let id = channel_header(headers, rules)?;
    let policy = channels
        .policy(&app, &id)
        .ok_or(Reason::ChannelNotRegistered)?;
    if *method == Method::DELETE {
        channels.delete(&app, &id);
        return Ok(Managed {
            status: 204,
            channel: None,
            body: Vec::new(),
        });
    }
    Ok(Managed {
        status: 200,
        channel: None,
        body: serde_json::json!({
            "message-storage-policy": policy.value(),
            "push-type": CHANNEL_PUSH_TYPE,
        })
        .to_string()
        .into_bytes(),
    })
}

/// An acceptable broadcast, for the record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CheckedBroadcast {
    pub(crate) app: String,
    pub(crate) channel: ChannelId,
    pub(crate) priority: Priority,
    pub(crate) expiration: Expiration,
}

/// Whether a Live Activity payload has what a device needs, as the simulator insists on
/// (APNs itself accepts such a push and the device drops it without a word).
fn live_activity_payload_is_usable(body: &[u8], now: u64, broadcast: bool) -> bool {
    let Ok(payload) = std::str::from_utf8(body)
        .map_err(|_| ())
        .and_then(|text| Payload::from_json(text).map_err(|_| ()))
    else {
        return false;
    };
    if broadcast && live_activity_event(&payload) == Some(LiveActivityEvent::Start) {
        return false;
    }
    !check_live_activity(&payload, now)
        .iter()
        .any(|problem| problem.severity() == Severity::Error)
}

/// The simulator's check of a Live Activity push to a device.
pub(crate) fn device_live_activity_is_usable(body: &[u8], now: u64) -> bool {
    live_activity_payload_is_usable(body, now, false)
}

/// Checks a send to a channel (`POST /4/broadcasts/apps/<bundle>`) of `body_len` bytes,
/// of which `body` were kept, in the order APNs documents.
pub(crate) fn check_broadcast(
    parts: &Parts,
    body: &[u8],
    body_len: usize,
    auth: &ConnectionAuth,
    now: u64,
    channels: &Channels,
    rules: &ActiveRules,
) -> Result<CheckedBroadcast, Reason> {
    if parts.method != Method::POST {
        return Err(Reason::MethodNotAllowed);
    }
    let app = parts
        .uri
        .path()
        .strip_prefix("/4/broadcasts/apps/")
        .filter(|app| !app.contains('/'))
        .ok_or(Reason::BadPath)?;
    let app = app_in_path(app)?;
    let headers = &parts.headers;
    if has_duplicate_headers(headers) {
        return Err(Reason::DuplicateHeaders);
    }
    request_id(headers)?;
    authorize(headers, auth, now, &app, rules)?;
    let channel = channel_header(headers, rules)?;
    let policy = channels
        .policy(&app, &channel)
        .ok_or(Reason::ChannelNotRegistered)?;
    match header(headers, "apns-push-type", Reason::InvalidPushType)? {
        None => return Err(Reason::MissingPushType),
        Some(text) if text.eq_ignore_ascii_case(PushType::LiveActivity.as_str()) => {}
        Some(_) => return Err(Reason::InvalidPushType),
    }
    let priority: Priority = header(headers, "apns-priority", Reason::BadPriority)?
        .ok_or(Reason::BadPriority)?
        .parse()
        .map_err(|_| Reason::BadPriority)?;
    let expiration: Expiration = header(headers, "apns-expiration", Reason::BadExpirationDate)?
        .ok_or(Reason::BadExpirationDate)?
        .parse()
        .map_err(|_| Reason::BadExpirationDate)?;
    if policy == StoragePolicy::NoStorage && expiration != Expiration::IMMEDIATELY {
        return Err(Reason::BadExpirationDate);
    }
    if body_len == 0 {
        return Err(Reason::PayloadEmpty);
    }
    if !PayloadLimit::broadcast().allows(body_len) {
        return Err(Reason::PayloadTooLarge);
    }
    if !live_activity_payload_is_usable(body, now, true) {
        return Err(Reason::BadRequestPayload);
    }
    Ok(CheckedBroadcast {
        app,
        channel,
        priority,
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::Rules;
    use crate::simulator::request::tests::{cert, parts};

    const NOW: u64 = 1_800_000_000;

    fn rules(rules: Rules) -> ActiveRules {
        ActiveRules::new(rules)
    }

    const APP: &str = "/1/apps/com.example.app/channels";

    fn create(channels: &Channels, policy: u8) -> ChannelId {
        let body = format!(r#"{{"message-storage-policy":{policy},"push-type":"LiveActivity"}}"#);
        let managed = manage(
            &parts("POST", APP, &[]),
            body.as_bytes(),
            &cert(&["com.example.app"]),
            NOW,
            channels,
            &rules(Rules::default()),
        )
        .unwrap();
        assert_eq!(managed.status, 201);
        managed.channel.unwrap()
    }

    #[test]
    fn channels_are_made_read_listed_and_deleted() {
        let channels = Channels::default();
        let auth = cert(&["com.example.app"]);
        let none = rules(Rules::default());
        let first = create(&channels, 0);
        let second = create(&channels, 1);
        assert_eq!(first.as_str().len(), 24);
        assert_ne!(first, second);
        let list = manage(
            &parts("GET", "/1/apps/com.example.app/all-channels", &[]),
            b"",
            &auth,
            NOW,
            &channels,
            &none,
        )
        .unwrap();
        assert_eq!(
            list.body,
            format!(r#"{{"channels":["{first}","{second}"]}}"#).into_bytes()
        );
        let read = manage(
            &parts("GET", APP, &[("apns-channel-id", second.as_str())]),
            b"",
            &auth,
            NOW,
            &channels,
            &none,
        )
        .unwrap();
        assert_eq!(
            read.body,
            br#"{"message-storage-policy":1,"push-type":"LiveActivity"}"#
        );
        let delete = parts("DELETE", APP, &[("apns-channel-id", first.as_str())]);
        assert_eq!(
            manage(&delete, b"", &auth, NOW, &channels, &none)
                .unwrap()
                .status,
            204
        );
        assert_eq!(
            manage(&delete, b"", &auth, NOW, &channels, &none),
            Err(Reason::ChannelNotRegistered)
        );
        assert_eq!(channels.list("com.example.app").len(), 1);
    }

    #[test]
    fn management_refusals_follow_apples_reasons() {
        let channels = Channels::default();
        let auth = cert(&["com.example.app"]);
        let none = rules(Rules::default());
        let reason = |method: &str,
                      path: &str,
                      headers: &[(&str, &str)],
                      body: &[u8],
                      rules: &ActiveRules| {
            manage(
                &parts(method, path, headers),
                body,
                &auth,
                NOW,
                &channels,
                rules,
            )
            .unwrap_err()
        };
        assert_eq!(
            reason("GET", "/1/apps/com.example.app/nope", &[], b"", &none),
            Reason::BadPath
        );
        assert_eq!(
            reason("PUT", APP, &[], b"", &none),
            Reason::MethodNotAllowed
        );
        assert_eq!(
            reason(
                "GET",
                "/1/apps/com.example.app.push-type.liveactivity/channels",
                &[],
                b"",
                &none
            ),
            Reason::TopicDisallowed
        );
        assert_eq!(
            reason("GET", "/1/apps/com.other/channels", &[], b"", &none),
            Reason::TopicMismatch
        );
        assert_eq!(
            reason("GET", APP, &[], b"", &none),
            Reason::MissingChannelId
        );
        assert_eq!(
            reason("GET", APP, &[("apns-channel-id", "no spaces")], b"", &none),
            Reason::BadChannelId
        );
        assert_eq!(
            reason("GET", APP, &[("apns-channel-id", "Y2g=")], b"", &none),
            Reason::ChannelNotRegistered
        );
        assert_eq!(
            reason("GET", APP, &[("apns-request-id", "x")], b"", &none),
            Reason::BadMessageId
        );
        assert_eq!(reason("POST", APP, &[], b"", &none), Reason::PayloadEmpty);
        assert_eq!(
            reason("POST", APP, &[], b"{", &none),
            Reason::BadRequestPayload
        );
        assert_eq!(
            reason(
                "POST",
                APP,
                &[],
                br#"{"message-storage-policy":7,"push-type":"LiveActivity"}"#,
                &none
            ),
            Reason::BadRequestParams
        );
        assert_eq!(
            reason("POST", APP, &[], br#"{"message-storage-policy":0}"#, &none),
            Reason::MissingPushType
        );
        assert_eq!(
            reason(
                "POST",
                APP,
                &[],
                br#"{"message-storage-policy":0,"push-type":"Alert"}"#,
                &none
            ),
            Reason::InvalidPushType
        );
        let disabled = rules(Rules {
            broadcast_disabled: vec!["com.example.app".into()],
            ..Rules::default()
        });
        assert_eq!(
            reason("GET", APP, &[], b"", &disabled),
            Reason::FeatureNotEnabled
        );
        let full = rules(Rules {
            max_channels_per_app: 0,
            ..Rules::default()
        });
        assert_eq!(
            reason(
                "POST",
                APP,
                &[],
                br#"{"message-storage-policy":0,"push-type":"LiveActivity"}"#,
                &full
            ),
            Reason::CannotCreateChannelConfig
        );
    }

    #[test]
    fn broadcasts_are_checked_against_their_channel() {
        let channels = Channels::default();
        let auth = cert(&["com.example.app"]);
        let none = rules(Rules::default());
        let no_storage = create(&channels, 0);
        let stored = create(&channels, 1);
        let update = format!(
            r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{"score":1}}}}}}"#
        );
        let path = "/4/broadcasts/apps/com.example.app";
        let check = |headers: &[(&str, &str)], body: &[u8]| {
            check_broadcast(
                &parts("POST", path, headers),
                body,
                body.len(),
                &auth,
                NOW,
                &channels,
                &none,
            )
        };
        let good = [
            ("apns-channel-id", no_storage.as_str()),
            ("apns-push-type", "liveactivity"),
            ("apns-priority", "10"),
            ("apns-expiration", "0"),
        ];
        let checked = check(&good, update.as_bytes()).unwrap();
        assert_eq!(checked.channel, no_storage);
        assert_eq!(checked.app, "com.example.app");
        let with = |name: &str, value: &str| -> Vec<(String, String)> {
            good.iter()
                .filter(|(key, _)| *key != name)
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .chain((!value.is_empty()).then(|| (name.to_string(), value.to_string())))
                .collect()
        };
        let reason = |headers: Vec<(String, String)>, body: &[u8]| {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            check(&headers, body).unwrap_err()
        };
        for (name, value, expected) in [
            ("apns-channel-id", "", Reason::MissingChannelId),
            ("apns-channel-id", "Y2g=", Reason::ChannelNotRegistered),
            ("apns-push-type", "", Reason::MissingPushType),
            ("apns-push-type", "alert", Reason::InvalidPushType),
            ("apns-priority", "", Reason::BadPriority),
            ("apns-expiration", "1900000000", Reason::BadExpirationDate),
        ] {
            assert_eq!(
                reason(with(name, value), update.as_bytes()),
                expected,
                "{name}: {value:?}"
            );
        }
        let mut stored_headers = with("apns-channel-id", stored.as_str());
        stored_headers.retain(|(k, _)| k != "apns-expiration");
        stored_headers.push(("apns-expiration".into(), "1900000000".into()));
        let stored_refs: Vec<(&str, &str)> = stored_headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert!(check(&stored_refs, update.as_bytes()).is_ok());
        assert_eq!(
            reason(with("apns-priority", "10"), b""),
            Reason::PayloadEmpty
        );
        assert_eq!(
            reason(with("apns-priority", "10"), &[b' '; 5121]),
            Reason::PayloadTooLarge
        );
        let start =
            format!(r#"{{"aps":{{"event":"start","timestamp":{NOW},"content-state":{{}}}}}}"#);
        assert_eq!(
            reason(with("apns-priority", "10"), start.as_bytes()),
            Reason::BadRequestPayload
        );
        assert_eq!(
            reason(with("apns-priority", "10"), b"{\"aps\":{}}"),
            Reason::BadRequestPayload
        );
        assert_eq!(
            check_broadcast(
                &parts("POST", "/4/broadcasts/apps/com.other", &good),
                update.as_bytes(),
                10,
                &auth,
                NOW,
                &channels,
                &none
            ),
            Err(Reason::TopicMismatch)
        );
    }
}
