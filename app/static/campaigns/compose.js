/* The campaign and template editors: live SMS figures, the email preview, problems shown at their
   field, placeholders inserted at the cursor, and fields shown only when they apply.
   Plain browser JavaScript, no build step. The page provides #compose-data (JSON). */
(function () {
  "use strict";

  var DEBOUNCE_MS = 350;
  var form = document.getElementById("compose-form");
  var dataElement = document.getElementById("compose-data");
  if (!form || !dataElement) { return; }
  var data = JSON.parse(dataElement.textContent);
  var T = data.texts;
  var csrf = form.querySelector("input[name=csrf_token]");
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var TEXT_FIELDS = ["sms_text", "email_subject", "email_text", "email_html"];
  var touched = {};
  var lastText = form.querySelector("[name=sms_text]");
  var timer = null;
  var sequence = {sms: 0, email: 0};

  function field(name) { return form.elements.namedItem(name); }

  function value(name) {
    var element = field(name);
    if (!element) { return null; }
    if (element.type === "checkbox") { return element.checked; }
    if (element instanceof RadioNodeList) { return element.value; }
    if (element.multiple) {
      return Array.prototype.filter.call(element.options, function (o) { return o.selected; })
        .map(function (o) { return parseInt(o.value, 10); });
    }
    return element.value;
  }

  function values() {
    var names = ["name", "category", "urgent", "unit_id", "channel_mode", "segment_id", "include_list_ids",
                 "exclude_list_ids", "sms_text", "sms_transliterate", "email_subject", "email_text", "email_html"];
    var result = {};
    names.forEach(function (name) { result[name] = value(name); });
    return result;
  }

  function find(selector) { return document.querySelector(selector); }
  function setText(selector, text) { var el = find(selector); if (el) { el.textContent = text; } }
  function show(selector, visible) { var el = find(selector); if (el) { el.hidden = !visible; } }

  /* Problems of one field at the field; a blank field the user has not touched keeps what the server said. */
  function showErrors(errors, names) {
    names.forEach(function (name) {
      var element = field(name);
      var box = form.querySelector("[data-errors-for=" + name + "]");
      if (!element || !box) { return; }
      if (!element.value.trim() && !touched[name]) { return; }
      var messages = errors[name] || [];
      box.textContent = "";
      messages.forEach(function (message) {
        var line = document.createElement("div");
        line.textContent = message;
        box.appendChild(line);
      });
      element.classList.toggle("is-invalid", messages.length > 0);
      element.setAttribute("aria-invalid", messages.length ? "true" : "false");
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf ? csrf.value : ""},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return {status: response.status, json: json}; });
    });
  }

  function partsText(count) { return numberFormat.format(count) + " " + (count === 1 ? T.part : T.parts); }

  function showAudience(audience) {
    if (!audience || !find("#audience-panel")) { return; }
    var known = audience.members !== null && audience.members !== undefined;
    show("[data-audience=figures]", known);
    setText("[data-audience=problem]", known ? "" : (audience.problem || ""));
    if (!known) { return; }
    setText("[data-audience=members]", numberFormat.format(audience.members));
    setText("[data-audience=sms]", numberFormat.format(audience.reachable.sms || 0));
    setText("[data-audience=email]", numberFormat.format(audience.reachable.email || 0));
    setText("[data-audience=any]", numberFormat.format(audience.any_channel || 0));
  }

  function showSms(answer) {
    showAudience(answer.audience);
    showErrors(answer.errors || {}, ["sms_text"]);
    var sms = answer.sms;
    show("[data-sms=figures]", !!sms);
    show("[data-sms=translit]", !!(sms && answer.transliterated && !value("sms_transliterate")));
    show("[data-sms=sample-line]", !!sms);
    show("[data-sms=too-long]", !!(sms && sms.too_long));
    if (!sms) {
      setText("[data-sms=text]", "");
      var blank = !String(value("sms_text") || "").trim();
      setText("[data-sms=status]", (answer.errors && answer.errors.sms_text && !blank) ? T.fix : T.writeSms);
      return;
    }
    setText("[data-sms=status]", "");
    setText("[data-sms=encoding]", sms.encoding);
    setText("[data-sms=characters]", numberFormat.format(sms.characters));
    setText("[data-sms=units-left]", numberFormat.format(sms.units_left));
    setText("[data-sms=parts]", numberFormat.format(sms.parts));
    setText("[data-sms=recipients]", numberFormat.format(sms.recipients));
    setText("[data-sms=cost]", sms.cost_label);
    setText("[data-sms=cost-label]", answer.per_recipient ? T.costEach : T.costAudience);
    setText("[data-sms=sample]", (answer.audience && answer.audience.sample) || T.exampleValues);
    setText("[data-sms=text]", sms.text);
    var plain = answer.transliterated;
    if (plain) {
      setText("[data-sms=translit-summary]", plain.encoding + ", " + partsText(plain.parts) + ", " + T.cost + " " +
              plain.cost_label);
      setText("[data-sms=translit-text]", plain.text);
    }
  }

  function showEmail(answer) {
    showErrors(answer.errors || {}, ["email_subject", "email_text", "email_html"]);
    var email = answer.email;
    var frame = find("#email-preview");
    show("[data-email=subject-line]", !!email);
    if (!email) {
      if (frame) { frame.srcdoc = ""; }
      setText("[data-email=sample]", "");
      var problems = answer.errors && Object.keys(answer.errors).length;
      setText("[data-email=status]", problems ? T.fix : T.writeEmail);
      return;
    }
    setText("[data-email=status]", "");
    setText("[data-email=subject]", email.subject);
    setText("[data-email=sample]", "(" + (email.sample || T.exampleValues) + ")");
    if (frame) { frame.srcdoc = email.html; }
  }

  function check(kind, url, render, wanted) {
    var mine = ++sequence[kind];
    if (!wanted) {
      render({errors: {}, audience: null});
      return;
    }
    post(url, values()).then(function (answer) {
      if (mine !== sequence[kind]) { return; }
      if (answer.status === 200) {
        render(answer.json);
      } else {
        setText("[data-" + kind + "=status]", T.failed);
      }
    }).catch(function () {
      if (mine === sequence[kind]) { setText("[data-" + kind + "=status]", T.failed); }
    });
  }

  function channels() {
    var mode = value("channel_mode") || "sms";
    return {sms: mode !== "email", email: mode !== "sms"};
  }

  function refresh() {
    var wanted = channels();
    form.querySelectorAll("[data-channel]").forEach(function (box) {
      box.hidden = !wanted[box.getAttribute("data-channel")];
    });
    check("sms", data.smsUrl, showSms, true);
    check("email", data.emailUrl, showEmail, wanted.email);
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function showTiming() {
    var box = form.querySelector("[data-send-at]");
    if (box) { box.hidden = value("send_mode") !== "at"; }
    var hint = form.querySelector("[data-urgent-hint]");
    if (hint) { hint.hidden = !(value("urgent") && value("category") !== data.disaster); }
  }

  function insert(code) {
    var target = lastText || field("sms_text");
    if (!target) { return; }
    var start = target.selectionStart === undefined ? target.value.length : target.selectionStart;
    var end = target.selectionEnd === undefined ? start : target.selectionEnd;
    target.value = target.value.slice(0, start) + code + target.value.slice(end);
    target.focus();
    target.selectionStart = target.selectionEnd = start + code.length;
    target.dispatchEvent(new Event("input", {bubbles: true}));
  }

  TEXT_FIELDS.forEach(function (name) {
    var element = field(name);
    if (!element) { return; }
    element.addEventListener("focus", function () { lastText = element; });
    element.addEventListener("input", function () { touched[name] = true; });
  });
  form.addEventListener("input", later);
  form.addEventListener("change", function () { showTiming(); later(); });
  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () { insert(button.getAttribute("data-insert")); });
  });
  showTiming();
  refresh();
})();
