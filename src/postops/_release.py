"""Filled in by the release workflow (.github/workflows/release.yml) just before it builds the package.

The commit the release was built from: what a released postops pins the references it writes to
(`uses:` in the workflows, GitLab's install). In a checkout that is not a release it stays None, and the
references name the version's tag instead, unpinned, until `postops init --from` names a commit.
"""

from __future__ import annotations

COMMIT: str | None = None
