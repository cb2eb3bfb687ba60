"""Access tokens: the persisted RS256 signing key, token minting, and ARM's bearer-token check.

Tokens carry ``aud`` (from the requested scope), ``iss`` ``https://{host}/{tid}/v2.0``, ``tid``, ``oid`` (the
service principal in that directory), ``appid``/``azp`` and a 1 h ``exp``. ARM errors for bad tokens use
Azure's codes: ``AuthenticationFailed`` (no header), ``InvalidAuthenticationToken`` (bad signature or audience),
``ExpiredAuthenticationToken`` (expiry).
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS
from tenantctl.emulator.core import ArmError, Doc
from tenantctl.emulator.world import World


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


TOKEN_LIFETIME = 3600


_CACHED_KEY: bytes | None = None  # in-memory emulators share one RSA key per process (keygen is slow)


def _int_b64(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def load_signing_key(world: World, persistent: bool) -> None:
    """Load (or create and persist) the RS256 key that signs every access token."""
    global _CACHED_KEY  # noqa: PLW0603 - process-wide cache of an expensive key

    meta = world.store.get("meta", "signing_key")
    if meta is not None:
        pem = str(meta["pem"]).encode()
    else:
        if not persistent and _CACHED_KEY is not None:
            pem = _CACHED_KEY
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            if not persistent:
                _CACHED_KEY = pem
        world.store.put("meta", "signing_key", {"pem": pem.decode()})
    private = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    public = private.public_key()
    numbers = public.public_numbers()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    world.kid = b64url(hashlib.sha1(der).digest())  # noqa: S324 - a key id, not a security hash
    world.signer = private
    world.verify_key = public
    world.public_jwk = {
        "kty": "RSA",
        "use": "sig",
        "kid": world.kid,
        "x5t": world.kid,
        "n": _int_b64(numbers.n),
        "e": _int_b64(numbers.e),
    }


def issue_token(world: World, host: str, tid: str, sp: Doc, *, audience: str, acr: str) -> str:

    t = int(time.time())
    claims = {
        "aud": audience,
        "iss": f"https://{host}/{tid}/v2.0",
        "iat": t,
        "nbf": t,
        "exp": t + TOKEN_LIFETIME,
        "tid": tid,
        "oid": sp["objectId"],
        "sub": sp["objectId"],
        "appid": sp["appId"],
        "azp": sp["appId"],
        "appidacr": acr,
        "azpacr": acr,
        "idtyp": "app",
        "ver": "2.0",
        "uti": b64url(uuid.uuid4().bytes),
    }
    return str(jwt.encode(claims, world.signer, algorithm="RS256", headers={"kid": world.kid, "x5t": world.kid}))


def _audiences(cloud_name: str) -> tuple[str, ...]:
    """The audiences ARM of ``cloud_name`` accepts: its management.core audience and its ARM endpoint,
    each with and without the trailing slash."""
    cloud = KNOWN_CLOUDS.get(cloud_name, KNOWN_CLOUDS[DEFAULT_CLOUD])
    out: list[str] = []
    for aud in (cloud.arm_audience, cloud.resource_manager):
        out += [aud.rstrip("/") + "/", aud.rstrip("/")]
    return tuple(out)


# Data-plane audiences of Azure Monitor: metrics:getBatch and the Log Analytics query API.
METRICS_AUDIENCES = ("https://metrics.monitor.azure.com", "https://metrics.monitor.azure.com/")
LOGS_AUDIENCES = ("https://api.loganalytics.io", "https://api.loganalytics.io/")


def verify_bearer(world: World, header: str, base: str, audiences: tuple[str, ...] | None = None) -> Doc:
    """Claims of a valid emulator-issued token for one of ``audiences`` (by default, ARM's of the
    emulated cloud), else the ARM 401 Azure would send."""

    if not header:
        raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        raise ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        )
    claims = world.token_cache.get(raw)
    if claims is None:
        try:
            claims = jwt.decode(
                raw,
                world.verify_key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.") from None
        if len(world.token_cache) > 10000:
            world.token_cache.clear()
        world.token_cache[raw] = claims
    t = time.time()
    if float(claims.get("exp", 0)) < t:
        exp = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(float(claims.get("exp", 0))))
        cur = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(t))
        raise ArmError(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{exp}' is earlier than current UTC time '{cur}'.",
        )
    aud = str(claims.get("aud", ""))
    allowed = audiences if audiences is not None else _audiences(world.settings.cloud)
    if aud not in allowed and aud.rstrip("/") != base.rstrip("/"):
        raise ArmError(
            401,
            "InvalidAuthenticationToken",
            f"The access token has been obtained for wrong audience "
            f"or resource '{aud}'. It should exactly match with one of the allowed audiences "
            + ",".join(f"'{a}'" for a in allowed)
            + ".",
        )
    return claims
