// Key material for tests that store SSH keys and certificates, which the schemas check to parse.
// Generated for these tests only (ssh-keygen -t ed25519; openssl req -x509 with a P-256 key);
// they protect nothing.
#pragma once

namespace coffer::testing {

inline constexpr const char* kTestSshPrivateKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBaAxQUO3KmZHC8fVQI/gbNSHzuRwQsWB6D3IjRDwAKPQAAAJA0i3eQNIt3
kAAAAAtzc2gtZWQyNTUxOQAAACBaAxQUO3KmZHC8fVQI/gbNSHzuRwQsWB6D3IjRDwAKPQ
AAAEC3jmLhZ/4T6mL1nXhSC9LU6ek0iKLQVEOOnBbynb0XsloDFBQ7cqZkcLx9VAj+Bs1I
fO5HBCxYHoPciNEPAAo9AAAAC2NvZmZlci10ZXN0AQI=
-----END OPENSSH PRIVATE KEY-----
)";

inline constexpr const char* kTestCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUQOKP7NRAljB0PozYm8NQJqXIyfIwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLY29mZmVyLXRlc3QwIBcNMjYxMTIzMTMwNDA4WhgPMjEyNjEw
MzAxMzA0MDhaMBYxFDASBgNVBAMMC2NvZmZlci10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEIXp6Ui/Qck/5xe0JyfIonIQ5zUQ5ba8Ot3+9aWS5acAR/a8k
uZmQkBIx11EM2Z7Gdy4GjIurJyqVs8XqmghTUaNTMFEwHQYDVR0OBBYEFIQx+Zpn
23sXnhEz8KP9Wx8mv7EjMB8GA1UdIwQYMBaAFIQx+Zpn23sXnhEz8KP9Wx8mv7Ej
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgS4ipwBkb8kjJu/+6
65c/0Y4Hz0nzKD5gzSfGJUGHilACIQC8eYdCZwdKfeID3kawFUy8gsdE6ZBpGSF9
xe/rMNPhzQ==
-----END CERTIFICATE-----
)";

// The certificate's own private key.
inline constexpr const char* kTestCertificateKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLUd3VB8QIw5c0kGe
4TKE+oZnx9fJpwYguiC1kHu5tqyhRANCAAQhenpSL9ByT/nF7QnJ8iichDnNRDlt
rw63f71pZLlpwBH9ryS5mZCQEjHXUQzZnsZ3LgaMi6snKpWzxeqaCFNR
-----END PRIVATE KEY-----
)";

// An unrelated P-256 key, as an application would keep in a .env file.
inline constexpr const char* kTestPemPrivateKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgukK5viqcgueDN8e9
PHw3Dyw8UyGYHzmsVjZIiIl2RYihRANCAAQ71O3Nb3c1U4Nb47xZvO0NsRMqFCxe
iAxMlMp/RLyBbV1ZGOHBG8B+dA20plDoj7+WUkp302Oh7YhLbQ3P23ec
-----END PRIVATE KEY-----
)";

}  // namespace coffer::testing
