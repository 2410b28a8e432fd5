//! Sharing folders through the core's session, as the app does: a drop is planned once;
//! a stopped VM is edited at once; a running one keeps the change pending (with the
//! exact limactl lines it would run) until "Restart to apply", and the pending change
//! ends with its operation.

use std::time::Duration;

use limabar_core::actions::Session;
use limabar_core::live::change::{Change, Operation};
use limabar_core::VmState;
use limabar_tests::{within, SimLima};

async fn session_with_vm() -> (SimLima, std::sync::Arc<Session>) {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.3, "stopSecs": 0.0}"#);
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    (sim, session)
}

/// Waits for `name`'s operation `op` to end, and returns its error, if any.
async fn ended(
    changes: &mut tokio::sync::broadcast::Receiver<Change>,
    op: Operation,
) -> Option<String> {
    within(Duration::from_secs(20), "the operation's end", async {
        loop {
            if let Change::OperationEnded {
                operation, error, ..
            } = changes.recv().await.unwrap()
            {
                if operation == op {
                    return error.map(|e| e.message);
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_drop_on_a_stopped_vm_is_edited_at_once_and_leaves_nothing_pending() {
    let (sim, session) = session_with_vm().await;
    let project = sim.root.path().join("src/app 'ü' $(x)");
    std::fs::create_dir_all(&project).unwrap();
    let mut changes = session.monitor().subscribe();
    let p = project.to_str().unwrap().to_string();
    let proposal = session
        .share_folders("nixos", vec![p.clone()], true, false)
        .await
        .unwrap();
    assert!(proposal.applied, "{:?}", proposal.plan);
    assert_eq!(proposal.plan.added[0].mount_point, p);
    assert_eq!(ended(&mut changes, Operation::Mounts).await, None);
    let edits: Vec<_> = sim.calls().into_iter().filter(|c| c[0] == "edit").collect();
    assert_eq!(edits.len(), 1, "one edit: {edits:?}");
    assert!(!sim.calls().iter().any(|c| c[0] == "restart"));
    // The pending change ends with its operation (the task forgetting it may run just
    // after the change is published).
    within(Duration::from_secs(5), "the pending change to end", async {
        while !session.pending_mounts().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    // Lima's own listing shows the new mount (the monitor relists after the edit).
    within(Duration::from_secs(10), "the mount to be listed", async {
        while !session
            .view("nixos")
            .await
            .unwrap()
            .instance
            .mounts
            .iter()
            .any(|m| m.mount_point == p)
        {
            changes.recv().await.unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn a_drop_on_a_running_vm_waits_and_its_copied_lines_are_what_runs() {
    let (sim, session) = session_with_vm().await;
    let mut changes = session.monitor().subscribe();
    session
        .monitor()
        .run("nixos", Operation::Start)
        .await
        .unwrap();
    within(Duration::from_secs(20), "ready", async {
        while !matches!(
            session.view("nixos").await.unwrap().state,
            VmState::Ready { .. }
        ) {
            changes.recv().await.unwrap();
        }
    })
    .await;
    let project = sim.root.path().join("proj");
    std::fs::create_dir_all(&project).unwrap();
    let p = project.to_str().unwrap().to_string();
    let proposal = session
        .share_folders("nixos", vec![p.clone()], true, false)
        .await
        .unwrap();
    assert!(!proposal.applied, "a running VM is not restarted unasked");
    assert_eq!(
        session.pending_mounts()["nixos"].added[0].mount_point,
        p,
        "the snapshot carries it"
    );
    assert!(
        !sim.calls()
            .iter()
            .any(|c| c[0] == "edit" || c[0] == "restart"),
        "nothing ran yet"
    );
    let lines = session.pending_mount_commands("nixos").await.unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");

    let before = sim.calls().len();
    let applied = session.apply_pending_mounts("nixos", false).await.unwrap();
    assert!(applied.applied);
    assert_eq!(ended(&mut changes, Operation::Mounts).await, None);
    let program = session
        .monitor()
        .limactl()
        .runner
        .program
        .display()
        .to_string();
    let ran: Vec<String> = sim.calls()[before..]
        .iter()
        .filter(|c| c[0] == "restart")
        .map(|c| {
            let mut argv = vec![program.clone()];
            argv.extend(c.iter().cloned());
            limabar_core::quote::join(&argv)
        })
        .collect();
    assert_eq!(ran, lines, "the copied line is the one that ran");
    within(Duration::from_secs(5), "the pending change to end", async {
        while !session.pending_mounts().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn discarding_forgets_the_change_and_runs_nothing() {
    let (sim, session) = session_with_vm().await;
    session
        .monitor()
        .run("nixos", Operation::Start)
        .await
        .unwrap();
    let project = sim.root.path().join("later");
    std::fs::create_dir_all(&project).unwrap();
    let p = project.to_str().unwrap().to_string();
    // A clean plan on a booting or running VM stays pending.
    let proposal = session
        .share_folders("nixos", vec![p], true, false)
        .await
        .unwrap();
    assert!(!proposal.applied);
    session.discard_pending_mounts("nixos");
    assert!(session.pending_mounts().is_empty());
    assert!(session
        .pending_mount_commands("nixos")
        .await
        .unwrap()
        .is_empty());
    let nothing = session.apply_pending_mounts("nixos", false).await.unwrap();
    assert!(!nothing.applied);
    assert!(!sim
        .calls()
        .iter()
        .any(|c| c[0] == "edit" || c[0] == "restart"));
}

#[tokio::test]
async fn a_folder_dropped_while_a_change_applies_stays_pending_after_it() {
    let (sim, session) = session_with_vm().await;
    let mut changes = session.monitor().subscribe();
    session
        .monitor()
        .run("nixos", Operation::Start)
        .await
        .unwrap();
    let first = sim.root.path().join("first");
    let second = sim.root.path().join("second");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    session
        .share_folders("nixos", vec![path(&first)], true, false)
        .await
        .unwrap();
    assert!(
        session
            .apply_pending_mounts("nixos", false)
            .await
            .unwrap()
            .applied
    );
    // The restart is under way: the next drop waits for the one after it.
    let next = session
        .share_folders("nixos", vec![path(&second)], true, false)
        .await
        .unwrap();
    assert!(!next.applied);
    assert_eq!(ended(&mut changes, Operation::Mounts).await, None);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pending = session.pending_mounts();
    assert_eq!(
        pending.get("nixos").map(|p| p.added[0].mount_point.clone()),
        Some(path(&second)),
        "{pending:?}"
    );
}
