"""fork() after the library started its runtime (Python's multiprocessing
with the fork start method): a child cannot use a client from before the
fork and is told why, a client it makes works, and the parent survives."""

import multiprocessing

import ocireg
from conftest import OCI_MANIFEST, make_image


def _child(inherited, registry, repo, results):
    try:
        inherited.tags(repo)
        results.put("the inherited client worked")
        return
    except ocireg.UnsupportedError as e:
        if "fork" not in str(e):
            results.put(f"unclear error: {e}")
            return
    with ocireg.Client(insecure=[registry]) as fresh:
        results.put(sorted(fresh.tags(repo)))


def test_a_forked_child_makes_its_own_client_and_the_parent_survives(plain, repo, env):
    data, _ = make_image(plain, repo)
    plain.put_manifest_tags(repo, ["v1"], data, OCI_MANIFEST)
    assert plain.tags(repo) == ["v1"]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=_child, args=(plain, env.plain, repo, results)) for _ in range(3)]
    for child in children:
        child.start()
    for _ in range(5):
        assert plain.tags(repo) == ["v1"]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0, "a forked child crashed or hung"
    assert [results.get(timeout=5) for _ in children] == [["v1"]] * 3
    assert plain.tags(repo) == ["v1"]

