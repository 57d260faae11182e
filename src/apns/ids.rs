//! Small validated identifiers: topics, apns-ids, collapse ids, key and team ids.

use std::fmt;
use std::str::FromStr;

use super::PushType;

/// An APNs topic: the app's bundle id, plus a suffix for some push types
/// (`com.example.app.voip`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

/// Why a string is not a usable identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The topic was empty.
    #[error("the topic is empty; use the app's bundle id, e.g. com.example.app")]
    EmptyTopic,
    /// The topic contains a character that a bundle id cannot.
    #[error(
        "the topic {topic:?} has {character:?} in it; a bundle id has only letters, digits, '-' and '.'"
    )]
    BadTopicCharacter {
        /// The rejected topic.
        topic: String,
        /// The first character that is not allowed.
        character: char,
    },
    /// The apns-id is not a UUID.
    #[error(
        "the apns-id {0:?} is not a UUID; use the form 123e4567-e89b-12d3-a456-426614174000 or leave it out"
    )]
    BadApnsId(String),
    /// The collapse id was empty.
    #[error("the collapse id is empty; leave it out instead")]
    EmptyCollapseId,
    /// The collapse id is over Apple's 64-byte limit.
    #[error("the collapse id is {0} bytes; APNs accepts at most 64")]
    CollapseIdTooLong(usize),
    /// A key id or team id that is not 10 letters and digits.
    #[error(
        "the {what} {value:?} is not 10 letters and digits; copy it from the Apple Developer account (Keys / Membership)"
    )]
    BadTenCharacterId {
        /// "key id" or "team id".
        what: &'static str,
        /// The rejected value.
        value: String,
    },
}

impl Topic {
    /// The topic as sent in `apns-topic`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the topic ends in the suffix Apple expects for `push_type`
    /// (alert and background pushes expect none of the known suffixes).
    pub fn suits(&self, push_type: &PushType) -> bool {
        match push_type.topic_suffix() {
            Some(suffix) => self.0.ends_with(suffix),
            None => !PushType::KNOWN_SUFFIXES
                .iter()
                .any(|suffix| self.0.ends_with(suffix)),
        }
    }

    /// The bundle id: the topic with any known push-type suffix removed.
    pub fn bundle_id(&self) -> &str {
        PushType::KNOWN_SUFFIXES
            .iter()
            .find_map(|suffix| self.0.strip_suffix(suffix))
            .unwrap_or(&self.0)
    }

    /// The topic for `push_type` on the same app: bundle id plus the right suffix.
    pub fn for_push_type(&self, push_type: &PushType) -> Topic {
        Topic(format!(
            "{}{}",
            self.bundle_id(),
            push_type.topic_suffix().unwrap_or("")
        ))
    }
}

impl FromStr for Topic {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(IdError::EmptyTopic);
        }
        if let Some(character) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        {
            return Err(IdError::BadTopicCharacter {
                topic: text.to_owned(),
                character,
            });
        }
        Ok(Self(text.to_owned()))
    }
}

impl TryFrom<String> for Topic {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Topic> for String {
    fn from(topic: Topic) -> Self {
        topic.0
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({})", self.0)
    }
}

/// The `apns-id` of a notification: a UUID, always shown in canonical lowercase form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApnsId(uuid::Uuid);

impl ApnsId {
    /// Wraps a UUID (the network layer makes random ones).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID inside.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl FromStr for ApnsId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Only the hyphenated 36-character form is what APNs accepts in the header.
        if text.len() != 36 {
            return Err(IdError::BadApnsId(text.to_owned()));
        }
        uuid::Uuid::try_parse(text)
            .map(Self)
            .map_err(|_| IdError::BadApnsId(text.to_owned()))
    }
}

impl fmt::Display for ApnsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl fmt::Debug for ApnsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApnsId({self})")
    }
}

impl serde::Serialize for ApnsId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ApnsId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An `apns-collapse-id`: at most 64 bytes.
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CollapseId(String);

impl CollapseId {
    /// Apple's limit, in bytes of UTF-8.
    pub const MAX_BYTES: usize = 64;

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CollapseId {
    type Err = IdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.len() {
            0 => Err(IdError::EmptyCollapseId),
            n if n > Self::MAX_BYTES => Err(IdError::CollapseIdTooLong(n)),
            _ => Ok(Self(text.to_owned())),
        }
    }
}

impl TryFrom<String> for CollapseId {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<CollapseId> for String {
    fn from(id: CollapseId) -> Self {
        id.0
    }
}

impl fmt::Display for CollapseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_ten_character_id(what: &'static str, text: &str) -> Result<String, IdError> {
    if text.len() == 10 && text.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(text.to_owned())
    } else {
        Err(IdError::BadTenCharacterId {
            what,
            value: text.to_owned(),
        })
    }
}

macro_rules! ten_character_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The id as written in the JWT.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_ten_character_id($what, text).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

ten_character_id!(
    /// The 10-character id of a .p8 signing key (the JWT's `kid`).
    KeyId,
    "key id"
);
ten_character_id!(
    /// The 10-character Apple Developer team id (the JWT's `iss`).
    TeamId,
    "team id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_suffixes_follow_the_push_type() {
        let topic: Topic = "com.example.app".parse().unwrap();
        assert!(topic.suits(&PushType::Alert));
        assert!(!topic.suits(&PushType::Voip));
        let voip = topic.for_push_type(&PushType::Voip);
        assert_eq!(voip.as_str(), "com.example.app.voip");
        assert!(voip.suits(&PushType::Voip));
        assert!(!voip.suits(&PushType::Alert));
        assert_eq!(voip.bundle_id(), "com.example.app");
        let live: Topic = "com.example.app.push-type.liveactivity".parse().unwrap();
        assert_eq!(live.bundle_id(), "com.example.app");
        assert!(live.suits(&PushType::LiveActivity));
    }

    #[test]
    fn topic_rejects_empty_and_spaces() {
        assert_eq!("".parse::<Topic>(), Err(IdError::EmptyTopic));
        assert!(matches!(
            "com.example app".parse::<Topic>(),
            Err(IdError::BadTopicCharacter { character: ' ', .. })
        ));
    }

    #[test]
    fn apns_id_is_canonical_lowercase() {
        let id: ApnsId = "123E4567-E89B-12D3-A456-426614174000".parse().unwrap();
        assert_eq!(id.to_string(), "123e4567-e89b-12d3-a456-426614174000");
        assert!(
            "123e4567e89b12d3a456426614174000"
                .parse::<ApnsId>()
                .is_err()
        );
        assert!("not-a-uuid".parse::<ApnsId>().is_err());
    }

    #[test]
    fn collapse_id_limit_is_64_bytes() {
        assert!("a".repeat(64).parse::<CollapseId>().is_ok());
        assert_eq!(
            "a".repeat(65).parse::<CollapseId>(),
            Err(IdError::CollapseIdTooLong(65))
        );
        // 22 three-byte characters are 66 bytes though only 22 characters.
        assert_eq!(
            "€".repeat(22).parse::<CollapseId>(),
            Err(IdError::CollapseIdTooLong(66))
        );
        assert_eq!("".parse::<CollapseId>(), Err(IdError::EmptyCollapseId));
    }

    #[test]
    fn key_and_team_ids_are_ten_alphanumerics() {
        assert!("ABC123DEFG".parse::<KeyId>().is_ok());
        assert!("ABC123DEF".parse::<TeamId>().is_err());
        let err = "ABC123DEF!".parse::<KeyId>().unwrap_err();
        assert!(err.to_string().contains("key id"));
    }

    #[test]
    fn a_topic_takes_letters_digits_dots_hyphens_and_underscores_only() {
        let topic: Topic = "com.Example-app_2".parse().unwrap();
        assert_eq!(topic.as_str(), "com.Example-app_2");
        assert_eq!(
            "com.example/app".parse::<Topic>(),
            Err(IdError::BadTopicCharacter {
                topic: "com.example/app".into(),
                character: '/',
            })
        );
        assert_eq!(
            "com.exämple.app".parse::<Topic>(),
            Err(IdError::BadTopicCharacter {
                topic: "com.exämple.app".into(),
                character: 'ä',
            })
        );
    }

    #[test]
    fn a_topic_is_shown_as_written_and_converts_to_text_and_json() {
        let topic: Topic = "com.example.app.voip".parse().unwrap();
        assert_eq!(topic.to_string(), "com.example.app.voip");
        assert_eq!(format!("{topic:?}"), "Topic(com.example.app.voip)");
        assert_eq!(String::from(topic.clone()), "com.example.app.voip");
        assert_eq!(
            Topic::try_from("com.example.app.voip".to_owned()),
            Ok(topic.clone())
        );
        assert_eq!(Topic::try_from(String::new()), Err(IdError::EmptyTopic));
        let json = serde_json::to_string(&topic).unwrap();
        assert_eq!(json, r#""com.example.app.voip""#);
        assert_eq!(serde_json::from_str::<Topic>(&json).unwrap(), topic);
        let refused = serde_json::from_str::<Topic>(r#""""#).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains(&IdError::EmptyTopic.to_string()),
            "{refused}"
        );
    }

    #[test]
    fn a_topic_moves_between_push_types_through_its_bundle_id() {
        let plain: Topic = "com.example.app".parse().unwrap();
        assert_eq!(plain.bundle_id(), "com.example.app");
        assert!(plain.suits(&PushType::Background));
        assert!(plain.suits(&PushType::Mdm));
        assert!(plain.suits(&PushType::Unknown("hologram".into())));
        assert!(!plain.suits(&PushType::LiveActivity));
        let voip: Topic = "com.example.app.voip".parse().unwrap();
        assert!(!voip.suits(&PushType::Background));
        assert_eq!(
            voip.for_push_type(&PushType::Alert).as_str(),
            "com.example.app"
        );
        let widgets = voip.for_push_type(&PushType::Widgets);
        assert_eq!(widgets.as_str(), "com.example.app.push-type.widgets");
        assert!(widgets.suits(&PushType::Widgets));
        assert_eq!(widgets.bundle_id(), "com.example.app");
        let ptt: Topic = "com.example.app.voip-ptt".parse().unwrap();
        assert_eq!(ptt.bundle_id(), "com.example.app");
        assert!(ptt.suits(&PushType::PushToTalk));
    }

    #[test]
    fn an_apns_id_wraps_its_uuid_and_shows_it_hyphenated() {
        let uuid = uuid::Uuid::from_u128(0x123e_4567_e89b_12d3_a456_4266_1417_4000);
        let id = ApnsId::from_uuid(uuid);
        assert_eq!(id.as_uuid(), uuid);
        assert_eq!(
            "123e4567-e89b-12d3-a456-426614174000".parse::<ApnsId>(),
            Ok(id)
        );
        assert_eq!(id.to_string(), "123e4567-e89b-12d3-a456-426614174000");
        assert_eq!(
            format!("{id:?}"),
            "ApnsId(123e4567-e89b-12d3-a456-426614174000)"
        );
    }

    #[test]
    fn an_apns_id_is_only_the_36_character_hyphenated_form() {
        for text in [
            "{123e4567-e89b-12d3-a456-426614174000}",
            "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a456-42661417400g",
            "123e4567e89b12d3a456426614174000",
            "",
        ] {
            assert_eq!(
                text.parse::<ApnsId>(),
                Err(IdError::BadApnsId(text.into())),
                "{text}"
            );
        }
        assert_eq!(
            IdError::BadApnsId("not-a-uuid".into()).to_string(),
            "the apns-id \"not-a-uuid\" is not a UUID; use the form 123e4567-e89b-12d3-a456-426614174000 or leave it out"
        );
    }

    #[test]
    fn an_apns_id_is_a_json_string() {
        let id: ApnsId = "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""123e4567-e89b-12d3-a456-426614174000""#);
        assert_eq!(serde_json::from_str::<ApnsId>(&json).unwrap(), id);
        assert_eq!(
            serde_json::from_str::<ApnsId>(r#""123E4567-E89B-12D3-A456-426614174000""#).unwrap(),
            id
        );
        let refused = serde_json::from_str::<ApnsId>(r#""nope""#).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains(&IdError::BadApnsId("nope".into()).to_string()),
            "{refused}"
        );
        assert!(serde_json::from_str::<ApnsId>("7").is_err());
    }

    #[test]
    fn a_collapse_id_of_one_to_64_bytes_is_kept_as_written() {
        assert_eq!(CollapseId::MAX_BYTES, 64);
        let one: CollapseId = "a".parse().unwrap();
        assert_eq!(one.as_str(), "a");
        let longest = "b".repeat(64);
        let id: CollapseId = longest.parse().unwrap();
        assert_eq!(id.as_str(), longest);
        assert_eq!(id.to_string(), longest);
        assert_eq!(String::from(id.clone()), longest);
        assert_eq!(CollapseId::try_from(longest.clone()), Ok(id.clone()));
        assert_eq!(
            CollapseId::try_from(String::new()),
            Err(IdError::EmptyCollapseId)
        );
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{longest}\""));
        assert_eq!(serde_json::from_str::<CollapseId>(&json).unwrap(), id);
        assert!(
            serde_json::from_str::<CollapseId>(&format!("\"{}\"", "b".repeat(65)))
                .unwrap_err()
                .to_string()
                .contains(&IdError::CollapseIdTooLong(65).to_string())
        );
    }

    #[test]
    fn each_id_error_says_what_to_do() {
        assert_eq!(
            IdError::EmptyTopic.to_string(),
            "the topic is empty; use the app's bundle id, e.g. com.example.app"
        );
        assert_eq!(
            IdError::BadTopicCharacter {
                topic: "com.example app".into(),
                character: ' ',
            }
            .to_string(),
            "the topic \"com.example app\" has ' ' in it; a bundle id has only letters, digits, '-' and '.'"
        );
        assert_eq!(
            IdError::EmptyCollapseId.to_string(),
            "the collapse id is empty; leave it out instead"
        );
        assert_eq!(
            IdError::CollapseIdTooLong(65).to_string(),
            "the collapse id is 65 bytes; APNs accepts at most 64"
        );
        assert_eq!(
            "ABC123DEF".parse::<TeamId>().unwrap_err().to_string(),
            "the team id \"ABC123DEF\" is not 10 letters and digits; copy it from the Apple Developer account (Keys / Membership)"
        );
    }

    #[test]
    fn key_and_team_ids_are_exactly_ten_ascii_letters_and_digits() {
        let key: KeyId = "ABC123DEFG".parse().unwrap();
        assert_eq!(key.as_str(), "ABC123DEFG");
        let team: TeamId = "abc123defg".parse().unwrap();
        assert_eq!(team.as_str(), "abc123defg");
        assert_eq!(
            "ABC123DEFGH".parse::<KeyId>(),
            Err(IdError::BadTenCharacterId {
                what: "key id",
                value: "ABC123DEFGH".into(),
            })
        );
        assert_eq!(
            "ABC123DEF!".parse::<TeamId>(),
            Err(IdError::BadTenCharacterId {
                what: "team id",
                value: "ABC123DEF!".into(),
            })
        );
        // Nine characters, ten bytes: 'é' is neither ASCII nor one byte.
        assert_eq!(
            "ABCDEFGHé".parse::<KeyId>(),
            Err(IdError::BadTenCharacterId {
                what: "key id",
                value: "ABCDEFGHé".into(),
            })
        );
        assert_eq!(
            "".parse::<TeamId>(),
            Err(IdError::BadTenCharacterId {
                what: "team id",
                value: String::new(),
            })
        );
    }

    #[test]
    fn key_and_team_ids_convert_to_text_and_json() {
        let key: KeyId = "ABC123DEFG".parse().unwrap();
        assert_eq!(key.to_string(), "ABC123DEFG");
        assert_eq!(String::from(key.clone()), "ABC123DEFG");
        assert_eq!(KeyId::try_from("ABC123DEFG".to_owned()), Ok(key.clone()));
        assert_eq!(serde_json::to_string(&key).unwrap(), r#""ABC123DEFG""#);
        assert_eq!(
            serde_json::from_str::<KeyId>(r#""ABC123DEFG""#).unwrap(),
            key
        );
        let team: TeamId = "TEAM123456".parse().unwrap();
        assert_eq!(team.to_string(), "TEAM123456");
        assert_eq!(String::from(team.clone()), "TEAM123456");
        assert_eq!(TeamId::try_from("TEAM123456".to_owned()), Ok(team.clone()));
        assert_eq!(serde_json::to_string(&team).unwrap(), r#""TEAM123456""#);
        assert_eq!(
            serde_json::from_str::<TeamId>(r#""TEAM123456""#).unwrap(),
            team
        );
        assert!(serde_json::from_str::<TeamId>(r#""TEAM""#).is_err());
    }
}
