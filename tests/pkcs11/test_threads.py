"""Concurrent signing and importing from several threads on one SoftHSM token.

SoftHSM 2.6.1 runs without its own locking under python-pkcs11's
C_Initialize(NULL); without the provider's module lock two threads crash the
process. The workload runs in a child process so that a crash fails this
test instead of ending the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from chatkeys.testing.softhsm import SoftHsmToken
from chatkeys_pkcs11 import ProvisionedKey

WORKLOAD = textwrap.dedent(
    """
    import os, sys, threading
    from chatkeys.providers import Providers

    class Pin:
        def get(self, name, description):
            return os.environ["TEST_PIN"]

    providers = Providers.discover()
    identities = [
        providers.load_identity(os.environ[name], Pin())
        for name in ("TEST_EC_URI", "TEST_RSA_URI")
    ]
    chat_key = providers.generate_chat_key(identities[0], "cms")
    copies = [
        providers.export_chat_key(chat_key, identity.certificate, identity, "cms")
        for identity in identities
    ]
    failures = []

    def work(index):
        try:
            for round in range(40):
                identity = identities[(index + round) % 2]
                copy = copies[(index + round) % 2]
                signature = providers.sign(b"data %d" % round, identity, "cms")
                assert providers.verify(
                    b"data %d" % round, signature, identity.certificate, "cms"
                )
                assert providers.import_chat_key(copy, identity, []) == chat_key
        except BaseException as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for identity in identities:
        identity.close()
    print("failures:", failures)
    sys.exit(1 if failures else 0)
    """
)


def test_threads_sign_and_import_without_crash(
    module_token: SoftHsmToken, ec_key: ProvisionedKey, rsa_key: ProvisionedKey
) -> None:
    environment = {
        **os.environ,
        "SOFTHSM2_CONF": str(module_token.config_path),
        "TEST_PIN": module_token.pin,
        "TEST_EC_URI": ec_key.uri,
        "TEST_RSA_URI": rsa_key.uri,
    }
    completed = subprocess.run(
        [sys.executable, "-c", WORKLOAD],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    assert "failures: []" in completed.stdout
