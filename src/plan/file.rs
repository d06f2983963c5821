//! The plan file: valid psql input whose comment header records the incident, the author,
//! whether it was reviewed (by whom, when), and a checksum of its steps. Written atomically.

pub use crate::durable::{checksum, write_atomic};

const MAGIC: &str = "-- warroom plan";
const END: &str = "-- end of header";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Draft,
    Reviewed { by: String, at: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub incident: String,
    pub author: String,
    pub created: String,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("it is not a warroom plan (its first line is not \"{MAGIC}\")")]
    NotAPlan,
    #[error("its header is damaged: {0}")]
    Header(String),
    #[error("it is a DRAFT: nobody has marked it reviewed")]
    Draft,
    #[error("its steps changed after they were reviewed (checksum {expected} recorded, {actual} now)")]
    StepsChanged { expected: String, actual: String },
    #[error("its review record was edited (the seal does not match who reviewed it and when)")]
    SealBroken,
}

/// Binds the review to the steps it saw: edit the reviewer, the time or the steps and it breaks.
fn seal(steps_checksum: &str, by: &str, at: &str) -> String {
    checksum(&format!("{steps_checksum}\n{by}\n{at}"))
}

/// Header values are single comment lines: no line breaks may slip into them.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// The whole file: the header, then the steps as given.
pub fn render(header: &Header, steps: &str) -> String {
    let sum = checksum(steps);
    let mut out = format!(
        "{MAGIC}\n-- incident: {}\n-- author: {}\n-- created: {}\n",
        one_line(&header.incident),
        one_line(&header.author),
        one_line(&header.created)
    );
    match &header.status {
        Status::Draft => out.push_str("-- status: DRAFT (not reviewed; `warroom plan verify` refuses it)\n"),
        Status::Reviewed { by, at } => {
            out.push_str(&format!(
                "-- status: REVIEWED\n-- reviewed-by: {}\n-- reviewed-at: {}\n",
                one_line(by),
                one_line(at)
            ));
            out.push_str(&format!("-- review-seal: {}\n", seal(&sum, &one_line(by), &one_line(at))));
        }
    }
    out.push_str(&format!("-- steps-checksum: {sum}\n{END}\n"));
    out.push_str(steps);
    out
}

/// The header and the steps of a plan file, without judging them.
pub fn parse(text: &str) -> Result<(Header, String, &str), VerifyError> {
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some(MAGIC) {
        return Err(VerifyError::NotAPlan);
    }
    let mut fields = std::collections::BTreeMap::new();
    let mut consumed = MAGIC.len() + 1;
    let mut ended = false;
    for line in lines.by_ref() {
        consumed += line.len();
        let l = line.trim_end();
        if l == END {
            ended = true;
            break;
        }
        let Some((k, v)) = l.strip_prefix("-- ").and_then(|r| r.split_once(": ")) else {
            return Err(VerifyError::Header(format!("unexpected line {l:?}")));
        };
        fields.insert(k.to_string(), v.to_string());
    }
    if !ended {
        return Err(VerifyError::Header(format!("no \"{END}\" line")));
    }
    let field = |k: &str| fields.get(k).cloned().ok_or_else(|| VerifyError::Header(format!("no {k}: line")));
    let status = match field("status")?.split_whitespace().next() {
        Some("DRAFT") => Status::Draft,
        Some("REVIEWED") => Status::Reviewed { by: field("reviewed-by")?, at: field("reviewed-at")? },
        _ => return Err(VerifyError::Header("status is neither DRAFT nor REVIEWED".into())),
    };
    let header = Header { incident: field("incident")?, author: field("author")?, created: field("created")?, status };
    let recorded = field("steps-checksum")?;
    let steps = &text[consumed.min(text.len())..];
    if let Status::Reviewed { by, at } = &header.status
        && field("review-seal")? != seal(&recorded, by, at)
    {
        return Err(VerifyError::SealBroken);
    }
    Ok((header, recorded, steps))
}

/// A plan that passed `verify`: who reviewed it, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub incident: String,
    pub by: String,
    pub at: String,
}

/// Ok only for a REVIEWED plan whose steps are still what was reviewed.
pub fn verify(text: &str) -> Result<Verified, VerifyError> {
    let (header, recorded, steps) = parse(text)?;
    let actual = checksum(steps);
    if actual != recorded {
        return Err(VerifyError::StepsChanged { expected: recorded, actual });
    }
    match header.status {
        Status::Draft => Err(VerifyError::Draft),
        Status::Reviewed { by, at } => Ok(Verified { incident: header.incident, by, at }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(status: Status) -> Header {
        Header { incident: "INC-42".into(), author: "alice".into(), created: "2026-11-21T02:14:00Z".into(), status }
    }

    const STEPS: &str = "\\set ON_ERROR_STOP on\nBEGIN;\nDELETE FROM users WHERE email IS NULL;\nCOMMIT;\n";

    #[test]
    fn a_reviewed_plan_verifies_and_any_edit_breaks_it() {
        let reviewed = Status::Reviewed { by: "bob".into(), at: "2026-11-21T02:30:00Z".into() };
        let text = render(&header(reviewed), STEPS);
        let ok = Verified { incident: "INC-42".into(), by: "bob".into(), at: "2026-11-21T02:30:00Z".into() };
        assert_eq!(verify(&text).unwrap(), ok);
        assert!(text.ends_with(STEPS));

        let edited = text.replace("email IS NULL", "true");
        assert!(matches!(verify(&edited), Err(VerifyError::StepsChanged { .. })));
        let appended = format!("{text}DROP TABLE users;\n");
        assert!(matches!(verify(&appended), Err(VerifyError::StepsChanged { .. })));
        let other_reviewer = text.replace("reviewed-by: bob", "reviewed-by: eve");
        assert_eq!(verify(&other_reviewer), Err(VerifyError::SealBroken));
        assert_eq!(verify(&render(&header(Status::Draft), STEPS)), Err(VerifyError::Draft));
        // A draft promoted by hand has no seal.
        let forged = render(&header(Status::Draft), STEPS).replace(
            "-- status: DRAFT (not reviewed; `warroom plan verify` refuses it)",
            "-- status: REVIEWED\n-- reviewed-by: eve\n-- reviewed-at: now",
        );
        assert!(matches!(verify(&forged), Err(VerifyError::Header(_))), "{:?}", verify(&forged));
        assert_eq!(verify("SELECT 1;\n"), Err(VerifyError::NotAPlan));
    }

    #[test]
    fn header_values_stay_on_one_line() {
        let mut h = header(Status::Draft);
        h.author = "mallory\n-- status: REVIEWED".into();
        let text = render(&h, STEPS);
        let (parsed, _, _) = parse(&text).unwrap();
        assert_eq!(parsed.status, Status::Draft);
    }

    #[test]
    fn atomic_replace() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.sql");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}
