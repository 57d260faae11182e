//! The closed-looking sets of notification headers: push type, priority, expiration.

use std::fmt;
use std::str::FromStr;

/// The `apns-push-type` header. Apple adds types over time, so an unknown one is
/// kept as written rather than refused.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum PushType {
    /// A visible notification.
    #[default]
    Alert,
    /// A silent, content-available push.
    Background,
    /// A location query for a Location Push Service extension.
    Location,
    /// A PushKit VoIP call.
    Voip,
    /// A watchOS complication update.
    Complication,
    /// A File Provider change signal.
    FileProvider,
    /// A Mobile Device Management wake-up.
    Mdm,
    /// A Live Activity start, update or end.
    LiveActivity,
    /// A Push to Talk update.
    PushToTalk,
    /// A widget reload.
    Widgets,
    /// A type this version does not know, sent as written.
    Unknown(String),
}

/// Why a string is not a push type or priority.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderValueError {
    /// An empty push type.
    #[error("the push type is empty; use alert, background, voip, liveactivity, ...")]
    EmptyPushType,
    /// A priority other than 10, 5 or 1.
    #[error(
        "the priority {0:?} is not one APNs accepts; use 10 (immediate), 5 (normal) or 1 (low)"
    )]
    BadPriority(String),
    /// An expiration that is not a UNIX time in seconds.
    #[error(
        "the expiration {0:?} is not a UNIX time in seconds; use 0 to deliver once without storing"
    )]
    BadExpiration(String),
}

impl PushType {
    /// Every suffix a topic can carry for a push type, longest first so that
    /// stripping finds `.pushkit.fileprovider` before anything shorter.
    pub const KNOWN_SUFFIXES: [&'static str; 7] = [
        ".push-type.liveactivity",
        ".pushkit.fileprovider",
        ".push-type.widgets",
        ".location-query",
        ".complication",
        ".voip-ptt",
        ".voip",
    ];

    /// Every type this version knows, in the order a picker shows them.
    pub const ALL: [PushType; 10] = [
        PushType::Alert,
        PushType::Background,
        PushType::Location,
        PushType::Voip,
        PushType::Complication,
        PushType::FileProvider,
        PushType::Mdm,
        PushType::LiveActivity,
        PushType::PushToTalk,
        PushType::Widgets,
    ];

    /// The header value.
    pub fn as_str(&self) -> &str {
        match self {
            PushType::Alert => "alert",
            PushType::Background => "background",
            PushType::Location => "location",
            PushType::Voip => "voip",
            PushType::Complication => "complication",
            PushType::FileProvider => "fileprovider",
            PushType::Mdm => "mdm",
            PushType::LiveActivity => "liveactivity",
            PushType::PushToTalk => "pushtotalk",
            PushType::Widgets => "widgets",
            PushType::Unknown(other) => other,
        }
    }

    /// Whether APNs takes this type only with token auth (a provider token from a .p8 key),
    /// never with a certificate.
    pub fn needs_token_auth(&self) -> bool {
        matches!(self, PushType::LiveActivity | PushType::Location)
    }

    /// The suffix Apple expects on the topic for this type, if any.
    pub fn topic_suffix(&self) -> Option<&'static str> {
        match self {
            PushType::Voip => Some(".voip"),
            PushType::Complication => Some(".complication"),
            PushType::FileProvider => Some(".pushkit.fileprovider"),
            PushType::Location => Some(".location-query"),
            PushType::LiveActivity => Some(".push-type.liveactivity"),
            PushType::PushToTalk => Some(".voip-ptt"),
            PushType::Widgets => Some(".push-type.widgets"),
            PushType::Alert | PushType::Background | PushType::Mdm | PushType::Unknown(_) => None,
        }
    }
}

impl FromStr for PushType {
    type Err = HeaderValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(HeaderValueError::EmptyPushType);
        }
        Ok(PushType::ALL
            .into_iter()
            .find(|known| known.as_str() == text)
            .unwrap_or_else(|| PushType::Unknown(text.to_owned())))
    }
}

impl fmt::Display for PushType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `apns-priority` header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Priority {
    /// 10: deliver immediately (the default).
    #[default]
    Immediate,
    /// 5: deliver with the device's power considerations.
    Normal,
    /// 1: prioritise the device's power over timeliness.
    Low,
}

impl Priority {
    /// The numeric header value.
    pub fn value(self) -> u8 {
        match self {
            Priority::Immediate => 10,
            Priority::Normal => 5,
            Priority::Low => 1,
        }
    }
}

impl TryFrom<u8> for Priority {
    type Error = HeaderValueError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            10 => Ok(Priority::Immediate),
            5 => Ok(Priority::Normal),
            1 => Ok(Priority::Low),
            other => Err(HeaderValueError::BadPriority(other.to_string())),
        }
    }
}

impl FromStr for Priority {
    type Err = HeaderValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<u8>()
            .map_err(|_| HeaderValueError::BadPriority(text.to_owned()))
            .and_then(Priority::try_from)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

/// The `apns-expiration` header: a UNIX time in seconds after which APNs stops
/// trying, or `0` to try once and never store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Expiration(pub u32);

impl Expiration {
    /// Deliver once if the device is reachable; don't store.
    pub const IMMEDIATELY: Expiration = Expiration(0);

    /// The seconds since the UNIX epoch (0 for "immediately").
    pub fn unix_seconds(self) -> u32 {
        self.0
    }
}

impl FromStr for Expiration {
    type Err = HeaderValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse()
            .map(Expiration)
            .map_err(|_| HeaderValueError::BadExpiration(text.to_owned()))
    }
}

impl fmt::Display for Expiration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_types_round_trip_and_keep_unknowns() {
        for push_type in PushType::ALL {
            assert_eq!(
                push_type.as_str().parse::<PushType>(),
                Ok(push_type.clone())
            );
        }
        assert_eq!(
            "hologram".parse::<PushType>(),
            Ok(PushType::Unknown("hologram".into()))
        );
        assert_eq!("".parse::<PushType>(), Err(HeaderValueError::EmptyPushType));
    }

    #[test]
    fn each_push_type_names_its_header_value_topic_suffix_and_auth() {
        let expected = [
            ("alert", None, false),
            ("background", None, false),
            ("location", Some(".location-query"), true),
            ("voip", Some(".voip"), false),
            ("complication", Some(".complication"), false),
            ("fileprovider", Some(".pushkit.fileprovider"), false),
            ("mdm", None, false),
            ("liveactivity", Some(".push-type.liveactivity"), true),
            ("pushtotalk", Some(".voip-ptt"), false),
            ("widgets", Some(".push-type.widgets"), false),
        ];
        for (push_type, (value, suffix, token_only)) in PushType::ALL.iter().zip(expected) {
            assert_eq!(push_type.as_str(), value);
            assert_eq!(push_type.to_string(), value);
            assert_eq!(push_type.topic_suffix(), suffix, "{value}");
            assert_eq!(push_type.needs_token_auth(), token_only, "{value}");
        }
        let unknown = PushType::Unknown("hologram".into());
        assert_eq!(unknown.to_string(), "hologram");
        assert_eq!(unknown.topic_suffix(), None);
        assert!(!unknown.needs_token_auth());
    }

    #[test]
    fn priorities_are_10_5_1() {
        assert_eq!("10".parse(), Ok(Priority::Immediate));
        assert_eq!("5".parse(), Ok(Priority::Normal));
        assert_eq!("1".parse(), Ok(Priority::Low));
        assert_eq!(
            "7".parse::<Priority>(),
            Err(HeaderValueError::BadPriority("7".into()))
        );
        assert_eq!(
            "high".parse::<Priority>().unwrap_err().to_string(),
            "the priority \"high\" is not one APNs accepts; use 10 (immediate), 5 (normal) or 1 (low)"
        );
        for (priority, value) in [
            (Priority::Immediate, 10),
            (Priority::Normal, 5),
            (Priority::Low, 1),
        ] {
            assert_eq!(priority.value(), value);
            assert_eq!(priority.to_string(), value.to_string());
            assert_eq!(Priority::try_from(value), Ok(priority));
        }
    }

    #[test]
    fn expiration_zero_is_a_value_not_an_absence() {
        assert_eq!("0".parse(), Ok(Expiration::IMMEDIATELY));
        assert_eq!(Expiration::IMMEDIATELY.to_string(), "0");
        assert_eq!(
            "-1".parse::<Expiration>(),
            Err(HeaderValueError::BadExpiration("-1".into()))
        );
        let later: Expiration = "1800000000".parse().unwrap();
        assert_eq!(later.unix_seconds(), 1_800_000_000);
        assert_eq!(later.to_string(), "1800000000");
        assert!(
            HeaderValueError::BadExpiration("x".into())
                .to_string()
                .contains("use 0 to deliver once without storing")
        );
    }
}
