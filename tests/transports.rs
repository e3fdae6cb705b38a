//! Copying between transports (`docker://`, `oci:`, `oci-archive:`,
//! `docker-archive:`, `dir:`), checked against skopeo 1.9.3 and umoci, and
//! against hostile archives and directories.

mod fixtures;
mod support;

use std::path::Path;
use std::process::Command;

use fixtures::plain_client;
use ocireg::image::{ImageName, ImageOptions, ReferrersMode};
use ocireg::{Client, Digest, ErrorKind};
use serde_json::{Value, json};
use support::layout::{test_image, write_layout};
use support::skopeo::{assert_no_temporaries, files_of, image_summary, run, skopeo, skopeo_digest};
use support::tar::{Entry, file, tar_of};
use support::tempdir::TempDir;
use support::{Mode, Registry};

fn name(text: &str) -> ImageName {
    ImageName::parse(text).expect("image name")
}

async fn copy(
    client: &Client,
    from: &str,
    to: &str,
    options: &ImageOptions,
) -> ocireg::Result<Digest> {
    client.copy_image(&name(from), &name(to), options).await
}

fn all() -> ImageOptions {
    ImageOptions {
        all_platforms: true,
        ..Default::default()
    }
}

/// Pushes a test image (or index) to `reg` as REPO:v1 with skopeo;
/// returns `docker://HOST/REPO:v1` and the digest the registry holds.
fn seed_registry(reg: &Registry, repo: &str, architectures: &[(&str, u64)]) -> (String, String) {
    let src = TempDir::new("transports-seed");
    write_layout(src.path(), "v1", architectures);
    let dest = format!("docker://{}/{repo}:v1", reg.host());
    let mut args = vec!["copy", "--dest-tls-verify=false"];
    if architectures.len() > 1 {
        args.push("--all");
    }
    let from = format!("oci:{}:v1", src.path().display());
    args.extend([from.as_str(), dest.as_str()]);
    skopeo(&args);
    let digest = skopeo_digest(&dest);
    (dest, digest)
}

#[tokio::test]
async fn oci_archive_round_trips_with_skopeo_keeping_the_digest() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (src, digest) = seed_registry(&reg, "oa/src", &[("amd64", 1)]);
    let work = TempDir::new("transports-oa");

    // skopeo writes the archive, ocireg reads it and pushes it back.
    let theirs = work.path().join("skopeo.tar");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &src,
        &format!("oci-archive:{}:v1", theirs.display()),
    ]);
    let back = format!("docker://{}/oa/from-skopeo:v1", reg.host());
    let pushed = copy(
        &client,
        &format!("oci-archive:{}:v1", theirs.display()),
        &back,
        &ImageOptions::default(),
    )
    .await
    .expect("oci-archive to registry");
    assert_eq!(pushed.to_string(), digest);
    assert_eq!(skopeo_digest(&back), digest);

    // ocireg writes the archive, skopeo reads it and pushes it.
    let ours = work.path().join("ocireg.tar");
    let written = copy(
        &client,
        &src,
        &format!("oci-archive:{}:v1", ours.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("registry to oci-archive");
    assert_eq!(written.to_string(), digest);
    assert_eq!(
        skopeo_digest(&format!("oci-archive:{}:v1", ours.display())),
        digest
    );
    let again = format!("docker://{}/oa/from-ocireg:v1", reg.host());
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci-archive:{}:v1", ours.display()),
        &again,
    ]);
    assert_eq!(skopeo_digest(&again), digest);

    // The same image gives the same bytes: entry order and mtimes are fixed.
    let twice = work.path().join("twice.tar");
    copy(
        &client,
        &src,
        &format!("oci-archive:{}:v1", twice.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("second archive");
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(&twice).unwrap()
    );
    let listing = run(Command::new("tar").arg("tvf").arg(&ours));
    assert!(
        listing.lines().all(|l| l.contains("1970-01-01")),
        "{listing}"
    );
    assert!(
        listing.lines().next().unwrap().ends_with("oci-layout"),
        "{listing}"
    );
    assert!(
        listing.lines().last().unwrap().ends_with("index.json"),
        "{listing}"
    );
    assert_no_temporaries(work.path());
}

#[tokio::test]
async fn a_whole_index_moves_through_an_oci_archive_and_a_layout_umoci_unpacks() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (src, digest) = seed_registry(&reg, "idx/src", &[("amd64", 2), ("arm64", 3)]);
    let work = TempDir::new("transports-idx");
    let archive = format!(
        "oci-archive:{}:multi",
        work.path().join("all.tar").display()
    );
    let written = copy(&client, &src, &archive, &all())
        .await
        .expect("to archive");
    assert_eq!(written.to_string(), digest);
    assert_eq!(skopeo_digest(&archive), digest);

    // Into a layout holding another image already: both stay, by name.
    let layout = work.path().join("layout");
    write_layout(&layout, "other", &[("amd64", 9)]);
    let to_layout = format!("oci:{}:multi", layout.display());
    assert_eq!(
        copy(&client, &archive, &to_layout, &all())
            .await
            .expect("to layout"),
        written
    );
    assert_eq!(skopeo_digest(&to_layout), digest);
    assert!(skopeo_digest(&format!("oci:{}:other", layout.display())).starts_with("sha256:"));

    // One platform out of the layout, unpacked by umoci.
    let arm = ImageOptions {
        platforms: vec![ocireg::image::Platform::parse("linux/arm64").unwrap()],
        ..Default::default()
    };
    let single = work.path().join("single");
    let one = copy(
        &client,
        &to_layout,
        &format!("oci:{}:arm", single.display()),
        &arm,
    )
    .await
    .expect("one platform");
    let config: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--config",
        &format!("oci:{}:arm", single.display()),
    ]))
    .unwrap();
    assert_eq!(config["architecture"], "arm64");
    assert_ne!(one, written);
    let bundle = work.path().join("bundle");
    run(Command::new("umoci").args([
        "unpack",
        "--rootless",
        "--image",
        &format!("{}:arm", single.display()),
        &bundle.display().to_string(),
    ]));
    assert_eq!(
        std::fs::read(bundle.join("rootfs/file-30.bin")).unwrap(),
        support::content::bytes(30, 40_000)
    );
}

#[tokio::test]
async fn dir_round_trips_with_skopeo_file_for_file() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (src, digest) = seed_registry(&reg, "dir/src", &[("amd64", 4)]);
    let work = TempDir::new("transports-dir");
    let theirs = work.path().join("skopeo");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &src,
        &format!("dir:{}", theirs.display()),
    ]);
    let ours = work.path().join("ocireg");
    let written = copy(
        &client,
        &src,
        &format!("dir:{}", ours.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("registry to dir");
    assert_eq!(written.to_string(), digest);
    assert_eq!(files_of(&ours), files_of(&theirs));

    let back = format!("docker://{}/dir/from-skopeo:v1", reg.host());
    let pushed = copy(
        &client,
        &format!("dir:{}", theirs.display()),
        &back,
        &ImageOptions::default(),
    )
    .await
    .expect("dir to registry");
    assert_eq!(pushed.to_string(), digest);
    let again = format!("docker://{}/dir/from-ocireg:v1", reg.host());
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("dir:{}", ours.display()),
        &again,
    ]);
    assert_eq!(skopeo_digest(&again), digest);

    // A whole index: children as <hex>.manifest.json, as skopeo writes them.
    let (isrc, idigest) = seed_registry(&reg, "dir/index", &[("amd64", 5), ("arm64", 6)]);
    let theirs = work.path().join("skopeo-all");
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &isrc,
        &format!("dir:{}", theirs.display()),
    ]);
    let ours = work.path().join("ocireg-all");
    let written = copy(&client, &isrc, &format!("dir:{}", ours.display()), &all())
        .await
        .expect("index to dir");
    assert_eq!(written.to_string(), idigest);
    assert_eq!(files_of(&ours), files_of(&theirs));

    // Replacing a dir: image is allowed; a directory of other files is not.
    copy(
        &client,
        &src,
        &format!("dir:{}", ours.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("replace a dir: image");
    assert_eq!(skopeo_digest(&format!("dir:{}", ours.display())), digest);
    let precious = work.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), b"keep").unwrap();
    let err = copy(
        &client,
        &src,
        &format!("dir:{}", precious.display()),
        &ImageOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(
        files_of(&precious),
        vec![("notes.txt".into(), b"keep".to_vec())]
    );
    assert_no_temporaries(work.path());
}

#[tokio::test]
async fn docker_archive_converts_as_skopeo_does() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (src, _) = seed_registry(&reg, "da/src", &[("amd64", 7)]);
    let work = TempDir::new("transports-da");
    let archive = work.path().join("skopeo.tar");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &src,
        &format!("docker-archive:{}:example.com/app:v1", archive.display()),
    ]);
    let from = format!("docker-archive:{}", archive.display());

    // Same input, same manifest, same files: skopeo keeps it unchanged in dir:.
    let theirs = work.path().join("skopeo-dir");
    skopeo(&["copy", &from, &format!("dir:{}", theirs.display())]);
    let ours = work.path().join("ocireg-dir");
    let digest = copy(
        &client,
        &from,
        &format!("dir:{}", ours.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("docker-archive to dir");
    assert_eq!(files_of(&ours), files_of(&theirs));
    assert_eq!(
        digest,
        Digest::sha256_of(&std::fs::read(theirs.join("manifest.json")).unwrap())
    );

    // To a registry skopeo gzips the layers (pgzip's bytes, which
    // src/compress reproduces) and names them in the manifest: the same
    // manifest, so the same digest.
    let skopeo_dest = format!("docker://{}/da/skopeo:v1", reg.host());
    skopeo(&["copy", "--dest-tls-verify=false", &from, &skopeo_dest]);
    let our_dest = format!("docker://{}/da/ocireg:v1", reg.host());
    let pushed = copy(&client, &from, &our_dest, &ImageOptions::default())
        .await
        .expect("to registry");
    assert_ne!(pushed, digest, "the layers are gzipped");
    assert_eq!(pushed.to_string(), skopeo_digest(&skopeo_dest));
    assert_eq!(skopeo_digest(&our_dest), skopeo_digest(&skopeo_dest));
    let (their_config, their_diffs, their_types) = image_summary(&skopeo_dest);
    let (our_config, our_diffs, our_types) = image_summary(&our_dest);
    assert_eq!(our_config, their_config);
    assert_eq!(our_diffs, their_diffs);
    assert_eq!(our_types, their_types);

    // Into an OCI layout and an oci-archive skopeo also converts the
    // manifest to OCI's: the same files, the same digest.
    let their_layout = work.path().join("skopeo-oci");
    skopeo(&["copy", &from, &format!("oci:{}:v1", their_layout.display())]);
    let our_layout = work.path().join("ocireg-oci");
    let in_layout = copy(
        &client,
        &from,
        &format!("oci:{}:v1", our_layout.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("to a layout");
    // Blobs are named by their digests: equal names, equal files.
    let names = |dir: &Path| -> Vec<String> {
        files_of(&dir.join("blobs/sha256"))
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(names(&our_layout), names(&their_layout));
    let their_digest = skopeo_digest(&format!("oci:{}:v1", their_layout.display()));
    assert_eq!(in_layout.to_string(), their_digest);
    let our_archive = work.path().join("ocireg-oci.tar");
    let in_archive = copy(
        &client,
        &from,
        &format!("oci-archive:{}:v1", our_archive.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("to an oci-archive");
    assert_eq!(in_archive.to_string(), their_digest);
    assert_eq!(
        skopeo_digest(&format!("oci-archive:{}:v1", our_archive.display())),
        their_digest
    );

    // Written back as a docker-archive, skopeo reads the same image.
    let again = work.path().join("again.tar");
    copy(
        &client,
        &our_dest,
        &format!("docker-archive:{}", again.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("registry to docker-archive");
    let (config, diffs, _) = image_summary(&format!("docker-archive:{}", again.display()));
    assert_eq!((config, diffs), (their_config, their_diffs));
    let listing: Value = serde_json::from_str(&run(Command::new("tar")
        .arg("xOf")
        .arg(&again)
        .arg("manifest.json")))
    .unwrap();
    assert_eq!(
        listing[0]["RepoTags"],
        json!([format!("{}/da/ocireg:v1", reg.host())])
    );
}

/// A `docker save` archive with two images, in docker's legacy layout
/// (`<id>/layer.tar`, `<id>/json`, `repositories`) or in the OCI layout
/// docker 25 writes beside `manifest.json`.
fn multi_image_archive(path: &Path, oci: bool) {
    let images = [test_image(11, "amd64"), test_image(12, "arm64")];
    let owned: Vec<(String, Vec<u8>)> = {
        let mut files = Vec::new();
        let mut listing = Vec::new();
        for (i, image) in images.iter().enumerate() {
            let config_digest = Digest::sha256_of(&image.config);
            let config_name = if oci {
                format!("blobs/sha256/{}", config_digest.hex())
            } else {
                format!("{}.json", config_digest.hex())
            };
            files.push((config_name.clone(), image.config.clone()));
            let mut layer_names = Vec::new();
            for layer in &image.layers {
                let d = Digest::sha256_of(layer);
                let name = if oci {
                    format!("blobs/sha256/{}", d.hex())
                } else {
                    format!("{}/layer.tar", &d.hex()[..32])
                };
                if !oci {
                    files.push((format!("{}/json", &d.hex()[..32]), b"{}".to_vec()));
                    files.push((format!("{}/VERSION", &d.hex()[..32]), b"1.0".to_vec()));
                }
                files.push((name.clone(), layer.clone()));
                layer_names.push(name);
            }
            listing.push(json!({
                "Config": config_name,
                "RepoTags": [format!("example.com/multi:{i}"), format!("example.com/alias:{i}")],
                "Layers": layer_names,
            }));
        }
        files.push((
            "manifest.json".into(),
            serde_json::to_vec(&listing).unwrap(),
        ));
        if oci {
            files.push((
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ));
            files.push((
                "index.json".into(),
                br#"{"schemaVersion":2,"manifests":[]}"#.to_vec(),
            ));
        } else {
            files.push(("repositories".into(), b"{}".to_vec()));
        }
        files
    };
    let entries: Vec<Entry> = owned.iter().map(|(n, d)| file(n, d)).collect();
    std::fs::write(path, tar_of(&entries)).unwrap();
}

#[tokio::test]
async fn multi_image_docker_archives_are_read_by_tag_and_index_in_both_layouts() {
    let client = Client::new(Default::default()).unwrap();
    let work = TempDir::new("transports-multi");
    for oci in [false, true] {
        let archive = work.path().join(format!("multi-{oci}.tar"));
        multi_image_archive(&archive, oci);
        for (selector, same_as) in [("example.com/multi:1", "@1"), ("example.com/alias:0", "@0")] {
            let from = format!("docker-archive:{}:{selector}", archive.display());
            let theirs = work.path().join(format!("skopeo-{oci}-{}", &same_as[1..]));
            let _ = std::fs::remove_dir_all(&theirs);
            skopeo(&["copy", &from, &format!("dir:{}", theirs.display())]);
            let ours = work.path().join(format!("ocireg-{oci}-{}", &same_as[1..]));
            copy(
                &client,
                &from,
                &format!("dir:{}", ours.display()),
                &ImageOptions::default(),
            )
            .await
            .expect("by tag");
            assert_eq!(files_of(&ours), files_of(&theirs), "{from}");
            let by_index = work.path().join(format!("index-{oci}-{}", &same_as[1..]));
            copy(
                &client,
                &format!("docker-archive:{}:{same_as}", archive.display()),
                &format!("dir:{}", by_index.display()),
                &ImageOptions::default(),
            )
            .await
            .expect("by index");
            assert_eq!(files_of(&by_index), files_of(&theirs), "{same_as}");
        }
        let bare = format!("docker-archive:{}", archive.display());
        let err = copy(
            &client,
            &bare,
            &format!("dir:{}", work.path().join("x").display()),
            &ImageOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(err.message().contains("2 images"), "{err}");
        let err = copy(
            &client,
            &format!("{bare}:@2"),
            &format!("dir:{}", work.path().join("x").display()),
            &ImageOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(err.message().contains("no image @2"), "{err}");
    }
}

#[tokio::test]
async fn referrers_are_refused_where_they_cannot_be_held() {
    let client = Client::new(Default::default()).unwrap();
    let work = TempDir::new("transports-referrers");
    let options = ImageOptions {
        referrers: ReferrersMode::All,
        ..Default::default()
    };
    // A docker-archive or dir: holds no attachments: refused before
    // anything is contacted or created (no registry listens on port 1).
    for (target, transport) in [
        (work.path().join("plain"), "dir"),
        (work.path().join("saved.tar"), "docker-archive"),
    ] {
        let name = format!("{transport}:{}", target.display());
        let err = copy(&client, "127.0.0.1:1/none:v1", &name, &options)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains("cannot hold"), "{err}");
        assert!(err.to_string().contains(&format!("{transport:?}")), "{err}");
        assert!(!target.exists());
    }
}

#[tokio::test]
async fn hostile_archives_are_refused_and_leave_the_destination_untouched() {
    let client = Client::new(Default::default()).unwrap();
    let work = TempDir::new("transports-hostile");
    let image = test_image(21, "amd64");
    let config_name = format!("{}.json", Digest::sha256_of(&image.config).hex());
    let l0 = format!("{}.tar", Digest::sha256_of(&image.layers[0]).hex());
    let l1 = format!("{}.tar", Digest::sha256_of(&image.layers[1]).hex());
    let listing = serde_json::to_vec(&json!([{
        "Config": config_name, "RepoTags": ["example.com/h:1"], "Layers": [l0, l1],
    }]))
    .unwrap();
    let good = |except: &str| -> Vec<Entry<'_>> {
        [
            file(&config_name, &image.config),
            file(&l0, &image.layers[0]),
            file(&l1, &image.layers[1]),
            file("manifest.json", &listing),
        ]
        .into_iter()
        .filter(|e| e.name != except)
        .collect()
    };
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    let mut dotdot = good("");
    dotdot.push(file("../escape", b"x"));
    cases.push(("dotdot", tar_of(&dotdot), "climbs out"));
    let mut absolute = good("");
    absolute.push(file("/etc/escape", b"x"));
    cases.push(("absolute", tar_of(&absolute), "absolute path"));
    let mut symlink = good(&l1);
    symlink.push(Entry {
        name: &l1,
        kind: b'2',
        data: b"",
        link: "/etc/passwd",
    });
    cases.push(("symlink", tar_of(&symlink), "symlink or hard link"));
    let mut hardlink = good(&l1);
    hardlink.push(Entry {
        name: &l1,
        kind: b'1',
        data: b"",
        link: "manifest.json",
    });
    cases.push(("hardlink", tar_of(&hardlink), "symlink or hard link"));
    cases.push(("missing", tar_of(&good(&l1)), "has no member"));
    let mut truncated = tar_of(&good(""));
    truncated.truncate(truncated.len() - 1024 - 512 * 30);
    cases.push(("truncated", truncated, "past the end of the file"));
    let mut corrupt_entries = good(&l1);
    let mut flipped = image.layers[1].clone();
    flipped[600] ^= 1;
    corrupt_entries.push(file(&l1, &flipped));
    cases.push(("corrupt", tar_of(&corrupt_entries), "hashes to"));

    let precious = b"an older archive, to be kept".to_vec();
    for (label, bytes, expected) in cases {
        let archive = work.path().join(format!("{label}.tar"));
        std::fs::write(&archive, bytes).unwrap();
        for target in [
            work.path().join("out.tar"),
            work.path().join("out-oci.tar"),
            work.path().join("out-dir"),
        ] {
            let to = match target.extension() {
                Some(_) if target.to_string_lossy().contains("oci") => {
                    format!("oci-archive:{}", target.display())
                }
                Some(_) => format!("docker-archive:{}", target.display()),
                None => format!("dir:{}", target.display()),
            };
            if target.extension().is_some() {
                std::fs::write(&target, &precious).unwrap();
            }
            let err = copy(
                &client,
                &format!("docker-archive:{}", archive.display()),
                &to,
                &ImageOptions::default(),
            )
            .await
            .expect_err(label);
            assert!(err.message().contains(expected), "{label} to {to}: {err}");
            if target.extension().is_some() {
                assert_eq!(std::fs::read(&target).unwrap(), precious, "{label}");
            } else {
                assert!(
                    !target.exists(),
                    "{label}: {} was created",
                    target.display()
                );
            }
        }
        assert!(!work.path().parent().unwrap().join("escape").exists());
    }
    assert_no_temporaries(work.path());
}

#[tokio::test]
async fn hostile_oci_archives_and_dirs_are_refused() {
    let client = Client::new(Default::default()).unwrap();
    let work = TempDir::new("transports-hostile-oci");
    let layout = work.path().join("layout");
    write_layout(&layout, "v1", &[("amd64", 31)]);
    // An oci-archive whose layer blob is a symlink out of it.
    let index = std::fs::read(layout.join("index.json")).unwrap();
    let mut owned = vec![
        (
            "oci-layout".to_string(),
            std::fs::read(layout.join("oci-layout")).unwrap(),
        ),
        ("index.json".into(), index),
    ];
    let mut link_name = String::new();
    for e in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        let data = std::fs::read(e.path()).unwrap();
        let name = format!("blobs/sha256/{}", e.file_name().to_string_lossy());
        if data.len() > 30_000 && link_name.is_empty() {
            link_name = name;
        } else {
            owned.push((name, data));
        }
    }
    let mut entries: Vec<Entry> = owned.iter().map(|(n, d)| file(n, d)).collect();
    entries.push(Entry {
        name: &link_name,
        kind: b'2',
        data: b"",
        link: "/etc/passwd",
    });
    let archive = work.path().join("link.tar");
    std::fs::write(&archive, tar_of(&entries)).unwrap();
    let out = work.path().join("out");
    let err = copy(
        &client,
        &format!("oci-archive:{}:v1", archive.display()),
        &format!("oci:{}:v1", out.display()),
        &ImageOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("symlink"), "{err}");

    // A dir: image whose blob is a symlink to a file outside.
    let dir = work.path().join("dir");
    copy(
        &client,
        &format!("oci:{}:v1", layout.display()),
        &format!("dir:{}", dir.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("layout to dir");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let hex = manifest["layers"][0]["digest"].as_str().unwrap()[7..].to_string();
    let outside = work.path().join("outside");
    std::fs::copy(dir.join(&hex), &outside).unwrap();
    std::fs::remove_file(dir.join(&hex)).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(&hex)).unwrap();
    let err = copy(
        &client,
        &format!("dir:{}", dir.display()),
        &format!("oci-archive:{}", work.path().join("o.tar").display()),
        &ImageOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("symlink"), "{err}");
    assert!(!work.path().join("o.tar").exists());
    assert_no_temporaries(work.path());
}

/// The pid of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// A copy into an oci-archive that was killed midway leaves its hidden
/// staging directory beside the file (with attachments) or its temporary
/// file: the next copy to that file removes both, and nothing else.
#[tokio::test]
async fn the_next_copy_to_an_archive_removes_what_a_killed_copy_left() {
    let work = TempDir::new("transports-stale-stage");
    let layout = work.path().join("layout");
    write_layout(&layout, "v1", &[("amd64", 61)]);
    let client = Client::new(Default::default()).unwrap();
    let dead = dead_pid();
    for (referrers, file) in [
        (ReferrersMode::None, "a.tar"),
        (ReferrersMode::All, "b.tar"),
    ] {
        let stale = work.path().join(format!(".{file}.ocireg-stage-{dead}-0"));
        std::fs::create_dir_all(stale.join("blobs/sha256")).unwrap();
        std::fs::write(stale.join("blobs/sha256/partial"), b"half a blob").unwrap();
        // Names that are not exactly a stage of this file stay.
        let decoys = [
            work.path().join(format!(".{file}.ocireg-stage-{dead}-0-x")),
            work.path().join(format!(".{file}.ocireg-stage-{dead}")),
            work.path()
                .join(format!(".other.tar.ocireg-stage-{dead}-0")),
            work.path().join(format!("{file}.ocireg-stage-{dead}-0")),
        ];
        for decoy in &decoys {
            std::fs::create_dir_all(decoy).unwrap();
            std::fs::write(decoy.join("kept"), b"kept").unwrap();
        }
        let options = ImageOptions {
            referrers: referrers.clone(),
            ..Default::default()
        };
        copy(
            &client,
            &format!("oci:{}:v1", layout.display()),
            &format!("oci-archive:{}", work.path().join(file).display()),
            &options,
        )
        .await
        .unwrap_or_else(|e| panic!("layout to {file} ({referrers:?}): {e}"));
        assert!(work.path().join(file).is_file());
        assert!(!stale.exists(), "the stale stage of {file} is removed");
        for decoy in &decoys {
            assert!(decoy.join("kept").exists(), "{} stays", decoy.display());
        }
        let stages: Vec<String> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!(".{file}.ocireg-stage-{}-", std::process::id())))
            .collect();
        assert!(
            stages.is_empty(),
            "the copy's own stage is gone: {stages:?}"
        );
    }
    assert_no_temporaries(work.path());
}

/// Gzipped layers bigger than the archive writer's buffers go into a
/// docker-archive decompressed: each member's header, known only once its
/// layer is inflated, is written back over bytes already on disk.
#[tokio::test]
async fn large_gzipped_layers_are_written_decompressed_into_a_docker_archive() {
    use support::layout::{gzip, put};
    use support::tar::layer;
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    let work = TempDir::new("transports-gunzip");
    let dir = work.path().join("layout");
    let plain = [
        layer(81, 3 * 1024 * 1024 + 7),
        layer(82, 9_000),
        layer(83, 2 * 1024 * 1024),
    ];
    let diff_ids: Vec<String> = plain
        .iter()
        .map(|l| Digest::sha256_of(l).to_string())
        .collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let layers: Vec<Value> = plain
        .iter()
        .map(|l| {
            put(
                &dir,
                &gzip(l),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": put(&dir, &config, "application/vnd.oci.image.config.v1+json"),
        "layers": layers,
    }))
    .unwrap();
    let mut top = put(&dir, &manifest, OCI_MANIFEST);
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [top]})).unwrap(),
    )
    .unwrap();

    let archive = work.path().join("out.tar");
    let client = Client::new(ocireg::ClientOptions::default()).unwrap();
    copy(
        &client,
        &format!("oci:{}:v1", dir.display()),
        &format!("docker-archive:{}", archive.display()),
        &ImageOptions::default(),
    )
    .await
    .expect("layout to docker-archive");

    // tar finds each member whole under its diff ID; skopeo, which checks
    // every layer it reads against its diff ID, copies the archive out.
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    run(Command::new("tar")
        .arg("xf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked));
    for (bytes, diff_id) in plain.iter().zip(&diff_ids) {
        let member = format!("{}.tar", diff_id.trim_start_matches("sha256:"));
        assert!(
            std::fs::read(unpacked.join(&member)).unwrap() == *bytes,
            "{member}"
        );
    }
    let out = work.path().join("skopeo-dir");
    skopeo(&[
        "copy",
        &format!("docker-archive:{}", archive.display()),
        &format!("dir:{}", out.display()),
    ]);
    for diff_id in &diff_ids {
        assert!(out.join(diff_id.trim_start_matches("sha256:")).is_file());
    }
}
