/*
 * tests/unit/test_net_identity.c — net/identity and net/b64: the spec's Identity vectors
 * (spec-client-protocol.md §4.1), hex and wire forms, ConnectionId, strict base64url.
 */
#include <string.h>

#include "harness.h"
#include "net/b64.h"
#include "net/identity.h"

static const struct {
    const char *iss, *sub, *hex;
} ID_VECTORS[] = {
    {"example.com", "123", "c200ef884364c1a99be0298dc68f2004e6b97c09d1b1658b7db22f51fb662059"},
    {"localhost", "alice", "c20035600353a2e93544d898c6ed0eac323e200c0468300f22958f8b472a265d"},
    {"localhost", "bob", "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4"},
    {"https://auth.example", "user-1",
     "c20087a6088cd9b37eb39b8dce02115fab82b49ef48d1c253bbae15f1e0d5665"},
};

TEST(net_identity_spec_vectors)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(ID_VECTORS); i++) {
        net_identity id, back;
        char hex[NET_IDENTITY_HEX_LEN + 1];
        net_identity_from_claims(ID_VECTORS[i].iss, strlen(ID_VECTORS[i].iss), ID_VECTORS[i].sub,
                                 strlen(ID_VECTORS[i].sub), &id);
        net_identity_to_hex(&id, hex);
        CHECK_STR(hex, ID_VECTORS[i].hex);
        CHECK_OK(net_identity_from_hex(hex, 64, &back));
        CHECK(net_identity_eq(&id, &back));
    }
    /* Exact bytes, no normalisation: a trailing space changes the identity. */
    net_identity a, b;
    net_identity_from_claims("localhost", 9, "bob", 3, &a);
    net_identity_from_claims("localhost", 9, "bob ", 4, &b);
    CHECK(!net_identity_eq(&a, &b));
}

TEST(net_identity_hex_and_wire)
{
    net_identity id, back;
    const char *hex = ID_VECTORS[0].hex;
    char upper[67] = "0X";
    for (int i = 0; i < 64; i++) upper[2 + i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
    upper[66] = 0;
    CHECK_OK(net_identity_from_hex(upper, 66, &id));
    char out[65];
    net_identity_to_hex(&id, out);
    CHECK_STR(out, hex);
    /* Wire form is little-endian: the last byte on the wire is 0xc2. */
    u8 wire[32];
    net_identity_to_wire(&id, wire);
    CHECK_EQ(wire[31], 0xc2);
    CHECK_EQ(wire[30], 0x00);
    CHECK_EQ(wire[0], 0x59);
    net_identity_from_wire(wire, &back);
    CHECK(net_identity_eq(&id, &back));
    CHECK_ERR(net_identity_from_hex(hex, 63, &id), LC_EDECODE);
    char bad[65];
    memcpy(bad, hex, 65);
    bad[0] = 'z';
    CHECK_ERR(net_identity_from_hex(bad, 64, &id), LC_EDECODE);
    CHECK_ERR(net_identity_from_hex("0x", 2, &id), LC_EDECODE);
}

TEST(net_connid_generate_and_hex)
{
    u128 a, b, back;
    CHECK_OK(net_connid_generate(&a));
    CHECK_OK(net_connid_generate(&b));
    CHECK(a != 0 && b != 0 && a != b);
    char hex[33];
    net_connid_to_hex(a, hex);
    CHECK_EQ(strlen(hex), 32);
    CHECK_OK(net_connid_from_hex(hex, 32, &back));
    CHECK(back == a);
    /* Big-endian text: 1 renders with the digit at the end. */
    net_connid_to_hex(1, hex);
    CHECK_STR(hex, "00000000000000000000000000000001");
    u128 v = (u128)0x0102030405060708ull << 64 | 0x090a0b0c0d0e0f10ull;
    net_connid_to_hex(v, hex);
    CHECK_STR(hex, "0102030405060708090a0b0c0d0e0f10");
    CHECK_OK(net_connid_from_hex("0xff", 4, &back));
    CHECK(back == 255);
    CHECK_ERR(net_connid_from_hex("00000000000000000000000000000000", 32, &back), LC_EINVAL);
    CHECK_ERR(net_connid_from_hex("0", 1, &back), LC_EINVAL);
    CHECK_ERR(net_connid_from_hex("", 0, &back), LC_EDECODE);
    CHECK_ERR(net_connid_from_hex("000000000000000000000000000000001", 33, &back), LC_EDECODE);
    CHECK_ERR(net_connid_from_hex("12g4", 4, &back), LC_EDECODE);
}

TEST(net_b64url_roundtrip_and_strictness)
{
    /* RFC 4648 §10 vectors, in the url alphabet without padding. */
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    u8 dec[16];
    size_t n;
    for (size_t i = 0; i < LC_ARRAY_LEN(plain); i++) {
        CHECK_EQ(net_b64url_encode(plain[i], strlen(plain[i]), out), strlen(enc[i]));
        CHECK_STR(out, enc[i]);
        CHECK_OK(net_b64url_decode(enc[i], strlen(enc[i]), dec, &n));
        CHECK_EQ(n, strlen(plain[i]));
        CHECK_MEM(dec, plain[i], n);
    }
    u8 hi[2] = {0xfb, 0xff};
    net_b64url_encode(hi, 2, out);
    CHECK_STR(out, "-_8"); /* url alphabet, not +/ */
    CHECK_ERR(net_b64url_decode("Zg==", 4, dec, &n), LC_EDECODE);  /* padding */
    CHECK_ERR(net_b64url_decode("Zm9v+", 5, dec, &n), LC_EDECODE); /* length 1 mod 4 */
    CHECK_ERR(net_b64url_decode("Zm+v", 4, dec, &n), LC_EDECODE);  /* std alphabet */
    CHECK_ERR(net_b64url_decode("Zh", 2, dec, &n), LC_EDECODE);    /* non-zero spare bits */
    CHECK_ERR(net_b64url_decode("Zm 9", 4, dec, &n), LC_EDECODE);  /* whitespace */
}
