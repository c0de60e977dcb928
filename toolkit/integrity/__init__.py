"""Evidence integrity: CloudTrail digest-chain verification, CloudTrail's public keys, and the RSA
signature check."""
