// meibo console: passkeys (WebAuthn). Registering one, signing in with one
// alone, and using one as the second factor. The server gives the options
// as JSON and takes the browser's answer as JSON in a form field.
"use strict";
(function () {
  var supported = !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON &&
    PublicKeyCredential.parseRequestOptionsFromJSON);

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error || r.statusText); }
        return j;
      });
    });
  }

  function showError(id, err) {
    var el = document.getElementById(id);
    if (!el) { return; }
    if (err && err.message && err.name === "Error") { el.textContent = err.message; }
    el.hidden = false;
  }

  function bind(boxId, buttonId, errorId, run) {
    var box = document.getElementById(boxId);
    var button = document.getElementById(buttonId);
    if (!box || !button) { return; }
    if (!supported) { box.hidden = true; return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      document.getElementById(errorId).hidden = true;
      run(box).catch(function (err) { showError(errorId, err); }).then(function () { button.disabled = false; });
    });
  }

  // Signing in with a passkey alone.
  bind("passkey-signin", "passkey-signin-button", "passkey-signin-error", function (box) {
    var csrf = box.dataset.csrf;
    return post(box.dataset.begin, { csrf: csrf }).then(function (opts) {
      return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts) });
    }).then(function (cred) {
      return post(box.dataset.finish, { csrf: csrf, next: box.dataset.next || "", credential: JSON.stringify(cred.toJSON()) });
    }).then(function (res) { window.location.assign(res.next); });
  });

  // A passkey as the second factor.
  bind("passkey-second", "passkey-second-button", "passkey-second-error", function (box) {
    var csrf = box.dataset.csrf;
    return post(box.dataset.begin, { csrf: csrf }).then(function (opts) {
      return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts) });
    }).then(function (cred) {
      return post(box.dataset.finish, { csrf: csrf, credential: JSON.stringify(cred.toJSON()) });
    }).then(function (res) { window.location.assign(res.next); });
  });

  // Registering a passkey; recovery codes made with the first factor are
  // shown once.
  bind("passkey-register", "passkey-add", "passkey-register-error", function (box) {
    var csrf = box.dataset.csrf;
    var name = document.getElementById("passkey-name").value;
    return post(box.dataset.begin, { csrf: csrf }).then(function (opts) {
      return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(opts) });
    }).then(function (cred) {
      return post(box.dataset.finish, { csrf: csrf, name: name, credential: JSON.stringify(cred.toJSON()) });
    }).then(function (res) {
      var once = document.getElementById("passkey-codes");
      if (!res.codes || res.codes.length === 0 || !once) { window.location.assign(res.next); return; }
      var list = once.querySelector("ul");
      res.codes.forEach(function (c) {
        var li = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = c;
        li.appendChild(code);
        list.appendChild(li);
      });
      once.querySelector("a").href = res.next;
      document.querySelectorAll(".group-cols").forEach(function (el) { el.hidden = true; });
      once.hidden = false;
    });
  });
})();
