//! Where Push Console keeps its files, and how it writes them safely.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The folders for configuration (identity metadata, templates, settings) and
/// data (the history database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataPaths {
    /// Configuration files.
    pub config_dir: PathBuf,
    /// Data files.
    pub data_dir: PathBuf,
}

/// Why the folders cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// No home folder to put them in.
    #[error(
        "no home folder was found for Push Console's files; set PUSH_CONSOLE_HOME to a folder to use"
    )]
    NoHome,
    /// A folder or file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// A file that could not be read or written: the one error shape for every file a user
/// names or Push Console keeps, whichever layer touched it.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than anything of its kind should be (or endless, like a device).
    #[error("{} is larger than {limit} bytes, too large for {kind}; {advice}", path.display(), limit = crate::apns::group_thousands(kind.limit()), kind = kind.name(), advice = kind.advice())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What it was read as.
        kind: FileKind,
    },
    /// Writing (or making its folder) failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl FileError {
    /// For `map_err` on a read of `path`.
    pub fn reading(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
        |source| FileError::Read {
            path: path.to_owned(),
            source,
        }
    }

    /// For `map_err` on a write of `path`.
    pub fn writing(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
        |source| FileError::Write {
            path: path.to_owned(),
            source,
        }
    }
}

/// What a file a user names is read as, and so how large it may be: no read of one holds
/// more than its limit in memory, whatever the file (or device) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A list of device tokens: room for 1,000,000 tokens of 100 bytes in hex.
    Tokens,
    /// A payload (.json) or a saved push (.apns).
    Payload,
    /// A .p12, .pem or .p8.
    Credential,
    /// PEM CA certificates to trust.
    CaCertificates,
    /// The simulator's rules.
    Rules,
}

impl FileKind {
    /// The most bytes read.
    pub fn limit(self) -> usize {
        match self {
            FileKind::Tokens => 256 * 1024 * 1024,
            FileKind::Payload | FileKind::Credential | FileKind::CaCertificates => 1024 * 1024,
            FileKind::Rules => 64 * 1024 * 1024,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Tokens => "a token list",
            FileKind::Payload => "a payload or .apns file",
            FileKind::Credential => "a .p12, .pem or .p8 credential",
            FileKind::CaCertificates => "a CA certificate file",
            FileKind::Rules => "a rules file",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            FileKind::Tokens => "split it into several sends",
            FileKind::Payload => {
                "APNs takes at most 5 KB of payload; check that this is the file meant"
            }
            FileKind::Credential | FileKind::CaCertificates => "check that this is the file meant",
            FileKind::Rules => "list fewer tokens, or check that this is the file meant",
        }
    }
}

/// The whole of `path`, read as `kind`: refused, without reading on, past its limit.
pub fn read_limited(path: &Path, kind: FileKind) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path).map_err(FileError::reading(path))?;
    read_up_to(file, kind).map_err(|error| match error {
        Limited::TooLarge => FileError::TooLarge {
            path: path.to_owned(),
            kind,
        },
        Limited::Io(source) => FileError::Read {
            path: path.to_owned(),
            source,
        },
    })
}

/// Why a bounded read stopped.
#[derive(Debug)]
pub enum Limited {
    /// More than the kind's limit.
    TooLarge,
    /// Reading failed.
    Io(std::io::Error),
}

/// All of `reader`, refused past `kind`'s limit (standard input, a file).
pub fn read_up_to(reader: impl std::io::Read, kind: FileKind) -> Result<Vec<u8>, Limited> {
    use std::io::Read;
    let limit = kind.limit();
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(Limited::Io)?;
    if bytes.len() > limit {
        return Err(Limited::TooLarge);
    }
    Ok(bytes)
}

/// The whole of a file Push Console keeps itself.
pub fn read_file(path: &Path) -> Result<Vec<u8>, FileError> {
    std::fs::read(path).map_err(FileError::reading(path))
}

/// Overrides both folders with one, for portable installs and tests.
pub const HOME_VARIABLE: &str = "PUSH_CONSOLE_HOME";

impl DataPaths {
    /// The platform's folders (e.g. `~/.config/push-console` and
    /// `~/.local/share/push-console` on Linux), or `$PUSH_CONSOLE_HOME/{config,data}`.
    pub fn from_env() -> Result<Self, PathsError> {
        if let Some(home) = std::env::var_os(HOME_VARIABLE) {
            return Ok(Self::under(Path::new(&home)));
        }
        let dirs =
            directories::ProjectDirs::from("", "", "push-console").ok_or(PathsError::NoHome)?;
        Ok(Self {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }

    /// Both folders below `root`.
    pub fn under(root: &Path) -> Self {
        Self {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
        }
    }

    /// The history database.
    pub fn history_db(&self) -> PathBuf {
        self.data_dir.join("history.sqlite3")
    }
}

/// Writes `contents` to `path` so that a crash leaves either the old file or
/// the new one, never half of one: a temporary file in the same folder, synced,
/// then renamed over the target.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    write_replacing(path, contents, false)
}

/// As [`write_atomically`], for a file only its owner may read (mode 0600 on Unix, from
/// its creation on: never readable by others, not even for a moment).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    write_replacing(path, contents, true)
}

fn write_replacing(path: &Path, contents: &[u8], private: bool) -> Result<(), FileError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(FileError::writing(path))?;
    let file_name = path
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy());
    let temporary = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        // A leftover of a crash would keep its own mode.
        let _ = std::fs::remove_file(&temporary);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(FileError::writing(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_limit_of_their_kind() {
        let endless = read_up_to(std::io::repeat(7), FileKind::Payload);
        assert!(
            matches!(endless, Err(Limited::TooLarge)),
            "an endless source is cut off"
        );
        let root = std::env::temp_dir().join(format!("push-console-limit-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let at_limit = root.join("at-limit.pem");
        std::fs::write(&at_limit, vec![b'a'; FileKind::Credential.limit()]).unwrap();
        assert_eq!(
            read_limited(&at_limit, FileKind::Credential).unwrap().len(),
            FileKind::Credential.limit()
        );
        let over = root.join("over.pem");
        std::fs::write(&over, vec![b'a'; FileKind::Credential.limit() + 1]).unwrap();
        let error = read_limited(&over, FileKind::Credential).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} is larger than 1,048,576 bytes, too large for a .p12, .pem or .p8 credential; check that this is the file meant",
                over.display()
            )
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn atomic_writes_replace_whole_files() {
        let root = std::env::temp_dir().join(format!("push-console-paths-{}", std::process::id()));
        let paths = DataPaths::under(&root);
        let file = paths.config_dir.join("identities.json");
        write_atomically(&file, b"first").unwrap();
        write_atomically(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(&paths.config_dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        assert_eq!(paths.history_db(), root.join("data/history.sqlite3"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
