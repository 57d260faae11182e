//! `push-console identities`: import, list, show, check and delete credentials.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::{CliError, output};
use crate::store::identity::{
    CredentialFiles, IdentityKind, IdentityMetadata, IdentityStore, Level, diagnose,
};
use crate::store::secrets::Keychain;
use crate::store::{DataPaths, FileError};

/// Credentials kept in the OS keychain.
#[derive(Args, Debug)]
pub struct IdentitiesArgs {
    #[command(subcommand)]
    pub command: IdentitiesCommand,
}

/// What to do with identities.
#[derive(Subcommand, Debug)]
pub enum IdentitiesCommand {
    /// Import a .p12/.pfx or .pem certificate, or a .p8 token key (with --key-id and --team-id).
    Import(ImportArgs),
    /// List identities.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one identity.
    Show {
        /// Its name.
        name: String,
    },
    /// Check an identity or a credential file and explain what is wrong.
    Doctor(DoctorArgs),
    /// Delete an identity and its keychain entry.
    Delete {
        /// Its name.
        name: String,
    },
}

/// The credential file flags shared by `import` and `doctor`.
#[derive(Args, Debug)]
pub struct FileArgs {
    /// Separate PEM private key file.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The .p12 password.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the .p12 password from standard input (keeps it out of shell history).
    #[arg(long)]
    pub password_stdin: bool,
    /// The .p8 key's 10-character key id.
    #[arg(long)]
    pub key_id: Option<String>,
    /// The 10-character team id.
    #[arg(long)]
    pub team_id: Option<String>,
}

/// `identities import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The credential file.
    pub file: PathBuf,
    /// The name to use (default: the certificate's bundle id, or "TEAM key KEYID").
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub file_args: FileArgs,
}

/// `identities doctor`.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// An identity name, or a credential file.
    pub target: String,
    #[command(flatten)]
    pub file_args: FileArgs,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The identity store over the user's folders and keychain.
pub fn open_store() -> Result<IdentityStore, CliError> {
    let paths = DataPaths::from_env()?;
    let keychain = Keychain::open()?;
    Ok(IdentityStore::new(paths, Arc::new(keychain)))
}

impl FileArgs {
    /// The credential files these flags and `path` name; the store decides what they hold.
    fn files(&self, path: &Path) -> Result<CredentialFiles, CliError> {
        let password = if self.password_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(FileError::reading(Path::new("standard input")))?;
            Some(text.trim_end_matches(['\n', '\r']).to_owned())
        } else {
            self.password.clone()
        };
        Ok(CredentialFiles {
            path: path.to_owned(),
            key_path: self.key.clone(),
            password,
            key_id: self.key_id.clone(),
            team_id: self.team_id.clone(),
            ..CredentialFiles::default()
        })
    }
}

fn describe(identity: &IdentityMetadata) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("name", identity.name.clone()),
        (
            "kind",
            match identity.kind {
                IdentityKind::Certificate => "certificate".into(),
                IdentityKind::TokenKey => "token key (.p8)".into(),
            },
        ),
    ];
    if !identity.topics.is_empty() {
        rows.push(("topics", identity.topics.join(", ")));
    }
    let environments = match (identity.development, identity.production) {
        (true, true) => "sandbox, production",
        (true, false) => "sandbox",
        (false, true) => "production",
        (false, false) => "none (not a push certificate)",
    };
    rows.push(("environments", environments.into()));
    if let Some(not_after) = identity.not_after {
        let days = (not_after - now()).div_euclid(86_400);
        let note = if days < 0 {
            " (EXPIRED)".to_owned()
        } else if days < 30 {
            format!(" (in {days} days)")
        } else {
            String::new()
        };
        rows.push((
            "expires",
            format!("{}{note}", crate::apns::format_date(not_after)),
        ));
    }
    if let Some(key_id) = &identity.key_id {
        rows.push(("key id", key_id.clone()));
    }
    if let Some(team_id) = &identity.team_id {
        rows.push(("team id", team_id.clone()));
    }
    rows.push(("imported", crate::apns::format_date(identity.created_at)));
    rows.push((
        "last used",
        identity
            .last_used_at
            .map_or_else(|| "never".into(), crate::apns::format_date),
    ));
    rows
}

/// Runs `identities`.
pub fn run(args: IdentitiesArgs) -> Result<ExitCode, CliError> {
    match args.command {
        IdentitiesCommand::Import(args) => {
            let store = open_store()?;
            let files = args.file_args.files(&args.file)?;
            let contents = files.read()?;
            let (identity, findings) =
                store.import(contents.file()?, args.name.as_deref(), now())?;
            for finding in &findings {
                output::line(&format!("  {finding}"));
            }
            output::line(&format!(
                "imported {:?}; its key is in the {}",
                identity.name,
                store.keychain_description()
            ));
        }
        IdentitiesCommand::List { json } => {
            let identities = open_store()?.list()?;
            if json {
                output::line(&serde_json::to_string_pretty(&identities).unwrap_or_default());
            } else if identities.is_empty() {
                output::line("no identities yet: `push-console identities import FILE`");
            } else {
                for identity in &identities {
                    let rows = describe(identity);
                    let summary: Vec<String> = rows
                        .iter()
                        .skip(1)
                        .take(4)
                        .map(|(_, value)| value.clone())
                        .collect();
                    output::line(&format!("{}  {}", identity.name, summary.join("  ·  ")));
                }
            }
        }
        IdentitiesCommand::Show { name } => {
            let store = open_store()?;
            let identity = store.get(&name)?;
            for (label, value) in describe(&identity) {
                output::line(&format!("{label:>12}  {value}"));
            }
            output::line(&format!(
                "{:>12}  {}",
                "keychain",
                store.keychain_description()
            ));
        }
        IdentitiesCommand::Doctor(args) => {
            let path = PathBuf::from(&args.target);
            let diagnosis = if path.is_file() {
                let files = args.file_args.files(&path)?;
                let contents = files.read()?;
                diagnose(contents.file()?, now())
            } else {
                let store = open_store()?;
                let identity = store.get(&args.target)?;
                let diagnosis = match store.credential(&identity.name, now()) {
                    Ok(_) => {
                        output::line(&format!(
                            "  ok: the key is in the {}",
                            store.keychain_description()
                        ));
                        None
                    }
                    Err(error) => Some(error.to_string()),
                };
                for (label, value) in describe(&identity) {
                    output::line(&format!("  {label}: {value}"));
                }
                return match diagnosis {
                    None => Ok(ExitCode::SUCCESS),
                    Some(problem) => {
                        output::line(&format!("  problem: {problem}"));
                        Ok(ExitCode::from(1))
                    }
                };
            };
            for finding in &diagnosis.findings {
                output::line(&format!("  {finding}"));
            }
            if diagnosis.findings.iter().any(|f| f.level == Level::Error) {
                return Ok(ExitCode::from(1));
            }
        }
        IdentitiesCommand::Delete { name } => {
            let removed = open_store()?.delete(&name)?;
            output::line(&format!(
                "deleted {:?} and its keychain entry",
                removed.name
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
