//! Just enough DER to write and read Apple's topics extension.

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const NULL: u8 = 0x05;

/// Appends one DER element: tag, length (short or long form), content.
pub(crate) fn write(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        // Short form: the length fits in seven bits.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&byte| byte == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// The topics extension (`1.2.840.113635.100.6.3.6`): a SEQUENCE of, per topic,
/// a UTF8String and a SEQUENCE holding the topic's kind.
pub(crate) fn topics_extension(topics: &[&str]) -> Vec<u8> {
    let mut items = Vec::new();
    for topic in topics {
        write(UTF8_STRING, topic.as_bytes(), &mut items);
        let mut kind = Vec::new();
        write(UTF8_STRING, topic_kind(topic).as_bytes(), &mut kind);
        write(SEQUENCE, &kind, &mut items);
    }
    let mut out = Vec::with_capacity(items.len() + 4);
    write(SEQUENCE, &items, &mut out);
    out
}

fn topic_kind(topic: &str) -> &'static str {
    if topic.ends_with(".voip") {
        "voip"
    } else if topic.ends_with(".complication") {
        "complication"
    } else {
        "app"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_short_and_long_lengths() {
        let mut out = Vec::new();
        write(NULL, &[], &mut out);
        assert_eq!(out, [0x05, 0x00]);

        let mut out = Vec::new();
        write(UTF8_STRING, &[b'a'; 200], &mut out);
        assert_eq!(&out[..3], [0x0c, 0x81, 200]);
        assert_eq!(out.len(), 203);

        let mut out = Vec::new();
        write(SEQUENCE, &[0; 300], &mut out);
        assert_eq!(&out[..4], [0x30, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn topics_extension_has_apples_shape() {
        let value = topics_extension(&["com.example", "com.example.voip"]);
        let expected: Vec<u8> = [
            &[0x30, 0x2e][..],
            &[0x0c, 11],
            b"com.example",
            &[0x30, 0x05, 0x0c, 0x03],
            b"app",
            &[0x0c, 16],
            b"com.example.voip",
            &[0x30, 0x06, 0x0c, 0x04],
            b"voip",
        ]
        .concat();
        assert_eq!(value, expected);
        assert_eq!(
            crate::apns::parse_topics_extension(&value).unwrap(),
            ["com.example", "com.example.voip"]
        );
    }
}
