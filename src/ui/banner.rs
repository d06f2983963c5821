//! The banner: the environment in big letters and in plain text, where we are connected,
//! as whom, and the read-only posture. It never scrolls away.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_big_text::{BigText, PixelSize};

use crate::app::{Conn, State};
use crate::db::posture::Level;
use crate::words::plural;

/// Columns the big letters take: the quadrant font is 4 columns a letter.
fn big_width(word: &str) -> u16 {
    (word.chars().count() as u16) * 4
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let env = state.setup.environment.to_uppercase();
    let env_color = t.environment(&state.setup.environment);
    let env_style = Style::default().fg(env_color).add_modifier(Modifier::BOLD);
    let block = Block::default().borders(Borders::BOTTOM).border_style(Style::default().fg(env_color));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let big = big_width(&env);
    let info = info_lines(state, inner.width.saturating_sub(big + 2));
    if inner.height >= 4 && inner.width >= big + 34 {
        let [left, _, right] =
            Layout::horizontal([Constraint::Length(big), Constraint::Length(2), Constraint::Fill(1)]).areas(inner);
        let text =
            BigText::builder().pixel_size(PixelSize::Quadrant).style(env_style).lines(vec![env.clone().into()]).build();
        frame.render_widget(text, left);
        frame.render_widget(Paragraph::new(info), right);
    } else {
        // Too small for big letters: the word, reversed, then the rest on one line.
        let mut spans =
            vec![Span::styled(format!(" {env} "), env_style.add_modifier(Modifier::REVERSED)), Span::raw(" ")];
        for l in info.into_iter().skip(1) {
            spans.extend(l.spans);
            spans.push(Span::raw("  "));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), inner);
    }
}

fn info_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let short = width < 70;
    let s = &state.setup;
    let t = &s.theme;
    let env_style = Style::default().fg(t.environment(&s.environment)).add_modifier(Modifier::BOLD);
    let text = Style::default().fg(t.text);
    let dim = Style::default().fg(t.dim);
    let ok = Style::default().fg(t.ok);
    let bad = Style::default().fg(t.error).add_modifier(Modifier::BOLD);

    let mut first = vec![Span::styled(s.environment.to_uppercase(), env_style), Span::raw("  ")];
    // Why this environment: unpinned, or a profile that disagrees with the pin.
    if let Some(v) = state.env.as_ref().filter(|v| v.note.is_some()) {
        // Narrow: the word that matters; the whole sentence is on the status line and in doctor.
        let note = match (short, v.unpinned()) {
            (false, _) => v.note.clone().unwrap_or_default(),
            (true, true) => "UNPINNED".to_string(),
            (true, false) => format!("profile says {}", v.profile.as_deref().unwrap_or("?")),
        };
        first.push(Span::styled(format!(" {note} "), bad.add_modifier(Modifier::REVERSED)));
        first.push(Span::raw("  "));
    }
    first.push(Span::styled(s.database.clone(), text.add_modifier(Modifier::BOLD)));
    first.push(Span::styled(" on ", dim));
    first.push(Span::styled(s.host.clone(), text));
    if state.frozen.is_some() {
        first.push(Span::raw("  "));
        first.push(Span::styled(" FROZEN ", bad.add_modifier(Modifier::REVERSED)));
    }
    let role = match &state.conn {
        Conn::Connected { info, .. } => info.current_user.clone(),
        _ => s.role.clone(),
    };
    let mut second = vec![Span::styled("role ", dim), Span::styled(role, text)];
    second.push(Span::styled("  incident ", dim));
    second.push(Span::styled(s.incident.clone().unwrap_or_else(|| "none".into()), text));
    if let Some(p) = s.profile.as_ref().filter(|_| !short) {
        second.push(Span::styled("  profile ", dim));
        second.push(Span::styled(p.clone(), text));
    }
    if !short && s.agent_policy != crate::config::AgentPolicy::Read {
        second.push(Span::styled("  agents ", dim));
        second.push(Span::styled(s.agent_policy.name(), text));
    }
    if let Some(agent) = &state.agent {
        second.push(Span::styled("  agent ", dim));
        second.push(Span::styled(agent.name.clone(), Style::default().fg(t.warn).add_modifier(Modifier::BOLD)));
        second.push(Span::styled(format!(" {}", agent.at), dim));
    }
    let (third, fourth) = match &state.conn {
        Conn::Connecting => (
            Line::from(Span::styled("◌ connecting…", Style::default().fg(t.warn))),
            Line::from(Span::styled("read-only posture: not checked yet", dim)),
        ),
        Conn::Failed(e) | Conn::Lost(e) => {
            let lost = matches!(state.conn, Conn::Lost(_));
            let what = if lost { "connection lost" } else { "not connected" };
            let fourth = match (&state.notice, lost) {
                (Some((n, _)), true) => Line::from(Span::styled(n.clone(), dim)),
                (None, true) => Line::from(Span::styled("nothing can run; reconnecting (F5 tries at once)", dim)),
                _ => Line::from(Span::styled("nothing can run; Ctrl-O reconnects", dim)),
            };
            (
                Line::from(vec![
                    Span::styled(format!("✖ {what}: "), bad),
                    Span::styled(e.lines().next().unwrap_or("").to_string(), text),
                ]),
                fourth,
            )
        }
        Conn::Connected { info, posture } => {
            let version = format!("PostgreSQL {}", info.version.split_whitespace().next().unwrap_or(""));
            let role = if info.in_recovery { "standby" } else { "primary" };
            let third = match &state.notice {
                // A failover or another cluster: said first, in place of the version.
                Some((n, crate::app::Tone::Bad)) => Line::from(Span::styled(format!("● {n}"), bad)),
                Some((n, _)) => Line::from(vec![
                    Span::styled("● connected", ok),
                    Span::styled(format!("  {version} · {role}  "), dim),
                    Span::styled(n.clone(), ok),
                ]),
                None => {
                    let mut spans =
                        vec![Span::styled("● connected", ok), Span::styled(format!("  {version} · {role}"), dim)];
                    if state.env.as_ref().is_some_and(|v| v.unpinned()) {
                        spans.push(Span::styled("  Ctrl-P pins this cluster", dim));
                    }
                    Line::from(spans)
                }
            };
            let failures: Vec<&str> = posture.failures().map(|c| c.name).collect();
            let fourth = if failures.is_empty() {
                let tick = |label: String| [Span::styled("✓ ", ok), Span::styled(format!("{label}  "), text)];
                let warns: Vec<&str> =
                    posture.checks.iter().filter(|c| c.level == Level::Warn).map(|c| c.name).collect();
                let mut spans = Vec::new();
                // The warnings first: the count and the first one stay on screen at any width.
                if let Some(first) = warns.first() {
                    spans.push(Span::styled(
                        format!("⚠ {}: {first}  ", plural(warns.len(), "warning")),
                        Style::default().fg(t.warn),
                    ));
                }
                // The statement timeout in force, and whose it is when the server's is stricter.
                let origin = info
                    .timeouts
                    .iter()
                    .find(|x| x.name == "statement_timeout" && x.in_force_ms != x.profile_ms)
                    .map(|x| timeout_origin(&x.server_source));
                let timeout = match origin {
                    Some(o) => format!("{} ({o})", info.statement_timeout),
                    None => info.statement_timeout.clone(),
                };
                // The longest form that fits; the timeout and the limit go before the rest does.
                let used: usize = spans.iter().map(|x| x.content.chars().count()).sum();
                let forms = [
                    vec![
                        "role read-only".to_string(),
                        "session read-only".into(),
                        format!("timeout {timeout}"),
                        format!("limit {}", s.row_limit),
                    ],
                    vec!["role".into(), "read-only".into(), timeout.clone(), format!("{} rows", s.row_limit)],
                    vec!["read-only".into(), timeout.clone(), format!("{} rows", s.row_limit)],
                    vec![timeout.clone(), format!("{} rows", s.row_limit)],
                    vec![timeout],
                    vec![info.statement_timeout.clone()],
                ];
                let fits =
                    |f: &Vec<String>| used + f.iter().map(|l| l.chars().count() + 4).sum::<usize>() <= width as usize;
                let start = if short { 1 } else { 0 };
                let form = forms[start..].iter().find(|f| fits(f)).unwrap_or(&forms[5]);
                for label in form {
                    spans.extend(tick(label.clone()));
                }
                Line::from(spans)
            } else {
                Line::from(vec![
                    Span::styled("✖ NOT READ-ONLY: ", bad),
                    Span::styled(failures.join(", "), Style::default().fg(t.error)),
                ])
            };
            (third, fourth)
        }
    };
    // While frozen, the posture line gives way to who froze, since when and why.
    let fourth = match &state.frozen {
        Some(f) => Line::from(vec![
            Span::styled(
                format!(" FROZEN by {} since {}: {} ", f.by, f.since(), f.reason),
                bad.add_modifier(Modifier::REVERSED),
            ),
            Span::styled("  warroom thaw lifts it", dim),
        ]),
        None => fourth,
    };
    vec![Line::from(first), Line::from(second), third, fourth]
}

/// Whose a server-side timeout is, from pg_settings.source, in a word for the banner.
fn timeout_origin(source: &str) -> &str {
    match source {
        "user" => "role's",
        "database" => "database's",
        "configuration file" | "default" | "override" => "server's",
        other => other,
    }
}
