#!/usr/bin/env python3
"""Builds the Solana block fixtures in this directory (run it from anywhere; it is deterministic).

One logical block (four transactions: a legacy vote, a v0 transfer signed twice whose balances
exceed 2^53 and whose logs hold escaped NUL/control characters, a failed legacy transaction, a
failed v0 transaction) rendered the way an Agave node renders it for every encoding (json,
jsonParsed, base64, base58) and every transactionDetails level (full, accounts, signatures,
none), as blockNotification frames and getBlock responses. Binary transactions are real wire
format (compact-u16 signature count, signatures, message with version prefix for v0).
block_expect.json holds what a decoder must extract, computed here independently of the C++ code.
"""

import base64
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = ALPHABET[r] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + ALPHABET.index(c)
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def det(label: str, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def key(label):
    return det("key:" + label, 32)


def compact_u16(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


VOTE = b58decode("Vote111111111111111111111111111111111111111")
SYSTEM = bytes(32)
COMPUTE_BUDGET = b58decode("ComputeBudget111111111111111111111111111111")
SLOT_HASHES = b58decode("SysvarS1otHashes111111111111111111111111111")
CLOCK = b58decode("SysvarC1ock11111111111111111111111111111111")
assert len(VOTE) == 32 and len(COMPUTE_BUDGET) == 32 and len(SLOT_HASHES) == 32

SLOT = 250000123
PARENT = 250000122
BLOCKHASH = det("blockhash", 32)
PREVIOUS = det("previous", 32)
RECENT = det("recent", 32)
BIG = 2**53 + 1  # 9007199254740993: not exact as a double

# (static keys, header, instructions [(program index, accounts, data)], signer count, version,
#  lookups, meta)
TXS = [
    dict(
        name="vote",
        keys=[key("identity"), key("vote-account"), SLOT_HASHES, CLOCK, VOTE],
        header=(1, 0, 3),
        signers=1,
        version="legacy",
        instructions=[(4, [1, 2, 3, 0], det("vote-ix", 40))],
        lookups=[],
        err=None,
        fee=5000,
        pre=[1_000_000_000, 27_000_000_000, 1, 1, 1],
        post=[999_995_000, 27_000_000_000, 1, 1, 1],
        logs=["Program Vote111111111111111111111111111111111111111 invoke [1]",
              "Program Vote111111111111111111111111111111111111111 success"],
        cu=2100,
    ),
    dict(
        name="transfer-v0",
        keys=[key("payer"), key("cosigner"), key("recipient"), COMPUTE_BUDGET, SYSTEM],
        header=(2, 1, 2),
        signers=2,
        version=0,
        instructions=[(3, [], bytes([2, 0x40, 0x0D, 0x03, 0x00])), (4, [0, 2], det("transfer", 12))],
        lookups=[dict(account=key("table"), writable=[3], readonly=[7])],
        err=None,
        fee=15000,
        pre=[BIG, 2_039_280, 18_000_000_000_000_000_000 // 2, 1, 1, 0, 5],
        post=[BIG - 15000 - 1_000_000, 2_039_280, 18_000_000_000_000_000_000 // 2 + 1_000_000, 1, 1,
              0, 5],
        logs=["Program ComputeBudget111111111111111111111111111111 invoke [1]",
              "Program log: nul\u0000inside, bell\u0007, unit\u001f, quote \" backslash \\ tab\t",
              "Program log: caf\u00e9 \u2603 \U0001F600",
              "Program 11111111111111111111111111111111 success"],
        cu=450,
    ),
    dict(
        name="failed-legacy",
        keys=[key("trader"), key("market"), key("program")],
        header=(1, 0, 1),
        signers=1,
        version="legacy",
        instructions=[(2, [0, 1], det("swap", 9))],
        lookups=[],
        err={"InstructionError": [0, {"Custom": 6001}]},
        fee=5000,
        pre=[50_000_000, 3_000_000, 1_141_440],
        post=[49_995_000, 3_000_000, 1_141_440],
        logs=["Program " + b58(key("program")) + " invoke [1]",
              "Program log: Error: slippage",
              "Program " + b58(key("program")) + " failed: custom program error: 0x1771"],
        cu=14523,
    ),
    dict(
        name="failed-v0",
        keys=[key("payer2"), key("program2")],
        header=(1, 0, 1),
        signers=1,
        version=0,
        instructions=[(1, [0, 2], det("call", 3))],
        lookups=[dict(account=key("table2"), writable=[], readonly=[1])],
        err={"InsufficientFundsForRent": {"account_index": 2}},
        fee=5000,
        pre=[900_000, 1_141_440, 0],
        post=[895_000, 1_141_440, 0],
        logs=[],
        cu=None,
    ),
]

REWARDS = [
    {"pubkey": b58(key("identity")), "lamports": 12_345_678, "postBalance": 9_007_199_254_740_993_000,
     "rewardType": "Fee", "commission": None},
    {"pubkey": b58(key("rent-payer")), "lamports": -5, "postBalance": 0, "rewardType": "Rent",
     "commission": None},
    {"pubkey": b58(key("vote-account")), "lamports": 77, "postBalance": 27_000_000_077,
     "rewardType": "Voting", "commission": 10},
]


def signatures(tx):
    return [det(f"sig:{tx['name']}:{i}", 64) for i in range(tx["signers"])]


def loaded(tx):
    writable = [det(f"lut:{tx['name']}:w{i}", 32) for i in lookup_indexes(tx, "writable")]
    readonly = [det(f"lut:{tx['name']}:r{i}", 32) for i in lookup_indexes(tx, "readonly")]
    return writable, readonly


def lookup_indexes(tx, kind):
    return [i for lookup in tx["lookups"] for i in lookup[kind]]


def wire(tx) -> bytes:
    msg = bytearray()
    if tx["version"] != "legacy":
        msg.append(0x80 | tx["version"])
    msg += bytes(tx["header"])
    msg += compact_u16(len(tx["keys"]))
    for k in tx["keys"]:
        msg += k
    msg += RECENT
    msg += compact_u16(len(tx["instructions"]))
    for program, accounts, data in tx["instructions"]:
        msg.append(program)
        msg += compact_u16(len(accounts)) + bytes(accounts)
        msg += compact_u16(len(data)) + data
    if tx["version"] != "legacy":
        msg += compact_u16(len(tx["lookups"]))
        for lookup in tx["lookups"]:
            msg += lookup["account"]
            msg += compact_u16(len(lookup["writable"])) + bytes(lookup["writable"])
            msg += compact_u16(len(lookup["readonly"])) + bytes(lookup["readonly"])
    sigs = signatures(tx)
    return compact_u16(len(sigs)) + b"".join(sigs) + bytes(msg)


def is_writable(tx, index):
    signed, ro_signed, ro_unsigned = tx["header"]
    n = len(tx["keys"])
    if index < signed:
        return index < signed - ro_signed
    return index < n - ro_unsigned


def parsed_keys(tx, with_loaded):
    out = []
    for i, k in enumerate(tx["keys"]):
        out.append({"pubkey": b58(k), "writable": is_writable(tx, i), "signer": i < tx["header"][0],
                    "source": "transaction"})
    if with_loaded:
        writable, readonly = loaded(tx)
        out += [{"pubkey": b58(k), "writable": True, "signer": False, "source": "lookupTable"}
                for k in writable]
        out += [{"pubkey": b58(k), "writable": False, "signer": False, "source": "lookupTable"}
                for k in readonly]
    return out


def status(tx):
    return {"Ok": None} if tx["err"] is None else {"Err": tx["err"]}


def full_meta(tx, parsed):
    writable, readonly = loaded(tx)
    meta = {
        "err": tx["err"],
        "status": status(tx),
        "fee": tx["fee"],
        "preBalances": tx["pre"],
        "postBalances": tx["post"],
        "innerInstructions": [],
        "logMessages": tx["logs"],
        "preTokenBalances": [],
        "postTokenBalances": [],
        "rewards": [],
    }
    if tx["version"] != "legacy" and not parsed:
        meta["loadedAddresses"] = {"writable": [b58(k) for k in writable],
                                   "readonly": [b58(k) for k in readonly]}
    if tx["cu"] is not None:
        meta["computeUnitsConsumed"] = tx["cu"]
    return meta


def accounts_meta(tx):
    return {"err": tx["err"], "status": status(tx), "fee": tx["fee"], "preBalances": tx["pre"],
            "postBalances": tx["post"], "preTokenBalances": [], "postTokenBalances": []}


def json_message(tx, parsed):
    if parsed:
        instructions = []
        for program, accounts, data in tx["instructions"]:
            if tx["keys"][program] == SYSTEM:
                instructions.append({"parsed": {"info": {"destination": b58(tx["keys"][2]),
                                                         "lamports": 1_000_000,
                                                         "source": b58(tx["keys"][0])},
                                                "type": "transfer"},
                                     "program": "system", "programId": b58(SYSTEM),
                                     "stackHeight": None})
            else:
                instructions.append({"accounts": [b58(tx["keys"][a]) if a < len(tx["keys"])
                                                  else b58(det("x", 32)) for a in accounts],
                                     "data": b58(data), "programId": b58(tx["keys"][program]),
                                     "stackHeight": None})
        message = {"accountKeys": parsed_keys(tx, True), "recentBlockhash": b58(RECENT),
                   "instructions": instructions}
    else:
        message = {
            "accountKeys": [b58(k) for k in tx["keys"]],
            "header": {"numRequiredSignatures": tx["header"][0],
                       "numReadonlySignedAccounts": tx["header"][1],
                       "numReadonlyUnsignedAccounts": tx["header"][2]},
            "recentBlockhash": b58(RECENT),
            "instructions": [{"programIdIndex": p, "accounts": a, "data": b58(d), "stackHeight": None}
                             for p, a, d in tx["instructions"]],
        }
    if tx["version"] != "legacy":
        message["addressTableLookups"] = [
            {"accountKey": b58(lookup["account"]), "writableIndexes": lookup["writable"],
             "readonlyIndexes": lookup["readonly"]} for lookup in tx["lookups"]]
    return {"signatures": [b58(s) for s in signatures(tx)], "message": message}


def render_tx(tx, encoding, details):
    if details == "accounts":
        body = {"signatures": [b58(s) for s in signatures(tx)],
                "accountKeys": parsed_keys(tx, True)}
        return {"transaction": body, "meta": accounts_meta(tx), "version": tx["version"]}
    if encoding == "base64":
        body = [base64.b64encode(wire(tx)).decode(), "base64"]
    elif encoding == "base58":
        body = [b58(wire(tx)), "base58"]
    else:
        body = json_message(tx, encoding == "jsonParsed")
    return {"transaction": body, "meta": full_meta(tx, encoding == "jsonParsed"),
            "version": tx["version"]}


def render_block(encoding, details):
    block = {"previousBlockhash": b58(PREVIOUS), "blockhash": b58(BLOCKHASH), "parentSlot": PARENT}
    if details in ("full", "accounts"):
        block["transactions"] = [render_tx(tx, encoding, details) for tx in TXS]
    elif details == "signatures":
        block["signatures"] = [b58(signatures(tx)[0]) for tx in TXS]
    block["rewards"] = REWARDS
    block["blockTime"] = 1718000000
    block["blockHeight"] = 230000000
    return block


def dump(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        # Non-ASCII as raw UTF-8; control characters (NUL included) still come out as \u escapes,
        # as serde_json writes them.
        f.write(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        f.write("\n")


SUBSCRIPTION = 2**53 + 7  # above 2^53: must survive exactly

for encoding in ("json", "jsonParsed", "base64", "base58"):
    for details in ("full", "accounts", "signatures", "none"):
        block = render_block(encoding, details)
        dump(f"block_notification_{encoding}_{details}.json", {
            "jsonrpc": "2.0", "method": "blockNotification",
            "params": {"result": {"context": {"slot": SLOT + 2},
                                  "value": {"slot": SLOT, "block": block, "err": None}},
                       "subscription": SUBSCRIPTION}})
        if details == "full" or encoding == "json":
            dump(f"get_block_{encoding}_{details}.json",
                 {"jsonrpc": "2.0", "result": block, "id": 7})

dump("block_expect.json", {
    "slot": SLOT, "context_slot": SLOT + 2, "subscription": SUBSCRIPTION, "parent_slot": PARENT,
    "blockhash": b58(BLOCKHASH), "previous_blockhash": b58(PREVIOUS), "block_time": 1718000000,
    "block_height": 230000000, "rewards": REWARDS,
    "transactions": [{
        "signature": b58(signatures(tx)[0]),
        "is_vote": VOTE in tx["keys"],
        "version": str(tx["version"]),
        "err": None if tx["err"] is None else json.dumps(tx["err"], separators=(",", ":")),
        "fee": tx["fee"], "pre": tx["pre"], "post": tx["post"], "logs": tx["logs"], "cu": tx["cu"],
    } for tx in TXS],
})
