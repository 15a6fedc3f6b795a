"""Login and tokens. Headless (no Textual); nothing is imported here, so the gateway's import
of `credentials` stays cheap and free of cycles.

credentials     Credential, CredentialProvider protocol, Env/Static providers (shared contract)
keyring_store   KeyringCredentialStore: one JSON blob per account in the OS keyring
keyring_helper  runs each keyring request in a short-lived helper process (keyring_call)
keyring_call    the helper: one JSON request on stdin, one answer on stdout (imports keyring)
provider        KeyringCredentialProvider (env, then keyring, with refresh); effective_base_url
login           LoginFlow: the CLI's and the UI's entry point; yields states.py states
device_flow     GitHub device flow (RFC 8628)
oauth           Slack OAuth v2 (PKCE) and Atlassian 3LO through loopback.py's redirect listener
grants          token-endpoint calls (code exchange, refresh)
endpoints       OAuth endpoints per base_url; client ids from the environment
identity        whoami(): one cheap call through the Gateway to check a token
status          login_status(): what `auth status` and the UI show (never a token)
pkce, browser   PKCE S256 + state; opening the system browser (or not)
"""
