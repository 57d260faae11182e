//! `.apns` files, the iOS Simulator's drag-and-drop format (and `xcrun simctl push`'s): a
//! payload object with one more key naming the app to deliver to.

/// The key of an `.apns` file that names the app.
pub const APNS_BUNDLE_KEY: &str = "Simulator Target Bundle";

/// An `.apns` file read: the payload without the app key, and the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApnsFile {
    /// The payload object, pretty-printed, without [`APNS_BUNDLE_KEY`].
    pub payload: String,
    /// The bundle id the file names, if it names one as a string.
    pub bundle: Option<String>,
}

/// Why a text is not an `.apns` file, or a payload cannot become one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApnsFileError {
    /// Not JSON at all.
    #[error("the {what} is not JSON: {detail}")]
    NotJson {
        /// "the .apns file" or "the payload".
        what: &'static str,
        /// serde_json's message, with line and column.
        detail: String,
    },
    /// JSON, but not an object.
    #[error("the {what} is not a JSON object (it must start with {{)")]
    NotObject {
        /// "the .apns file" or "the payload".
        what: &'static str,
    },
}

fn object(
    text: &str,
    what: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, ApnsFileError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| ApnsFileError::NotJson {
            what,
            detail: error.to_string(),
        })?;
    match value {
        serde_json::Value::Object(object) => Ok(object),
        _ => Err(ApnsFileError::NotObject { what }),
    }
}

impl ApnsFile {
    /// Reads an `.apns` file: the payload, with the app's bundle id taken out of it.
    pub fn parse(text: &str) -> Result<Self, ApnsFileError> {
        let mut payload = object(text, ".apns file")?;
        let bundle = payload
            .remove(APNS_BUNDLE_KEY)
            .and_then(|bundle| bundle.as_str().map(str::to_owned));
        Ok(Self {
            payload: pretty(&payload),
            bundle,
        })
    }

    /// Writes `payload` (a JSON object) as an `.apns` file for `bundle` (none if blank).
    pub fn write(payload: &str, bundle: &str) -> Result<String, ApnsFileError> {
        let mut object = object(payload, "payload")?;
        if !bundle.trim().is_empty() {
            object.insert(APNS_BUNDLE_KEY.to_owned(), bundle.trim().into());
        }
        Ok(pretty(&object))
    }
}

fn pretty(object: &serde_json::Map<String, serde_json::Value>) -> String {
    // A map of JSON values always serialises.
    serde_json::to_string_pretty(object).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_with_the_bundle_apart() {
        let file = ApnsFile::parse(
            r#"{"Simulator Target Bundle":"com.example.app","aps":{"alert":"Hi"}}"#,
        )
        .unwrap();
        assert_eq!(file.bundle.as_deref(), Some("com.example.app"));
        assert!(!file.payload.contains(APNS_BUNDLE_KEY));
        let written = ApnsFile::write(&file.payload, "com.example.app").unwrap();
        assert_eq!(ApnsFile::parse(&written).unwrap(), file);
    }

    #[test]
    fn a_blank_bundle_is_left_out_and_a_padded_one_trimmed() {
        let payload = r#"{"aps":{"alert":"Hi"}}"#;
        let blank = ApnsFile::write(payload, "  ").unwrap();
        assert!(!blank.contains(APNS_BUNDLE_KEY), "{blank}");
        assert_eq!(ApnsFile::parse(&blank).unwrap().bundle, None);
        let padded = ApnsFile::write(payload, " com.example.app\n").unwrap();
        assert_eq!(
            ApnsFile::parse(&padded).unwrap().bundle.as_deref(),
            Some("com.example.app")
        );
        assert_eq!(
            padded,
            "{\n  \"aps\": {\n    \"alert\": \"Hi\"\n  },\n  \"Simulator Target Bundle\": \"com.example.app\"\n}"
        );
    }

    #[test]
    fn numbers_come_back_exactly_as_written() {
        // Found by the apns_file fuzz target: without serde_json's float_roundtrip, this
        // read back as -6.666666666666667e41 after one write.
        let text = r#"{"acme": [-666666666666666666666666666666666666666660.0, 0.1, 1e-7]}"#;
        let file = ApnsFile::parse(text).unwrap();
        let again = ApnsFile::parse(&ApnsFile::write(&file.payload, "").unwrap()).unwrap();
        assert_eq!(again.payload, file.payload);
    }

    #[test]
    fn what_is_not_a_file_says_what_it_is() {
        assert_eq!(
            ApnsFile::parse("[1]").unwrap_err().to_string(),
            "the .apns file is not a JSON object (it must start with {)"
        );
        assert!(
            ApnsFile::parse("{\"aps\":")
                .unwrap_err()
                .to_string()
                .starts_with("the .apns file is not JSON: EOF while parsing")
        );
        assert_eq!(
            ApnsFile::write("7", "x").unwrap_err().to_string(),
            "the payload is not a JSON object (it must start with {)"
        );
    }
}
