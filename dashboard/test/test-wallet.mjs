// A wallet for the browser test, registered with the page through the wallet standard's
// own protocol (the `wallet-standard:register-wallet` / `app-ready` events), as a browser
// extension registers. It has one account and the features the wallet-standard adapter
// needs: connect, events and solana:signTransaction. Its secret key never enters the page:
// each message to sign goes to the test process (`window.ioTestWalletSign`, exposed by
// playwright), which signs it with ed25519 and counts it.
//
// installTestWallet runs in the page (playwright's addInitScript), so it is self-contained.
export function installTestWallet({ address, publicKey }) {
  const chains = ["solana:mainnet", "solana:devnet", "solana:testnet", "solana:localnet"];
  const account = Object.freeze({
    address,
    publicKey: new Uint8Array(publicKey),
    chains,
    features: ["solana:signTransaction"],
    label: "test operator",
  });
  let accounts = [];
  const listeners = new Set();
  const changed = () => listeners.forEach((listener) => listener({ accounts }));

  const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  // Solana's compact-u16 length prefix: [value, bytes read].
  const shortVec = (bytes, at) => {
    let value = 0;
    for (let i = 0; i < 3; i++) {
      const b = bytes[at + i];
      value |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return [value, i + 1];
    }
    throw new Error("test wallet: bad length prefix");
  };

  // A wire transaction is its signatures (length-prefixed) then its message; the message's
  // first `required` account keys sign, in the signatures' order.
  async function signOne({ transaction }) {
    const tx = new Uint8Array(transaction);
    const [count, prefix] = shortVec(tx, 0);
    const messageAt = prefix + 64 * count;
    const message = tx.subarray(messageAt);
    const header = message[0] & 0x80 ? 1 : 0; // a versioned message starts with its version
    const required = message[header];
    const [keys, keysPrefix] = shortVec(message, header + 3);
    const keysAt = header + 3 + keysPrefix;
    let slot = -1;
    for (let i = 0; i < Math.min(required, keys); i++) {
      const key = message.subarray(keysAt + 32 * i, keysAt + 32 * (i + 1));
      if (key.every((b, j) => b === account.publicKey[j])) slot = i;
    }
    if (slot < 0 || slot >= count) throw new Error("test wallet: this transaction does not need its signature");
    const signature = fromBase64(await window.ioTestWalletSign(toBase64(message)));
    const signed = tx.slice();
    signed.set(signature, prefix + 64 * slot);
    return { signedTransaction: signed };
  }

  const wallet = {
    version: "1.0.0",
    name: "IO Test Wallet",
    icon: "data:image/svg+xml;base64," + btoa('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#6a3d9a"/></svg>'),
    chains,
    get accounts() {
      return accounts;
    },
    features: {
      "standard:connect": {
        version: "1.0.0",
        connect: async () => {
          accounts = [account];
          changed();
          return { accounts };
        },
      },
      "standard:disconnect": {
        version: "1.0.0",
        disconnect: async () => {
          accounts = [];
          changed();
        },
      },
      "standard:events": {
        version: "1.0.0",
        on: (event, listener) => {
          if (event !== "change") return () => {};
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signTransaction: (...inputs) => Promise.all(inputs.map(signOne)),
      },
    },
  };

  const register = (api) => api.register(wallet);
  window.addEventListener("wallet-standard:app-ready", (event) => register(event.detail));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
}
