/* The segment rule builder: groups and conditions picked from the catalogue, a live count,
   server errors shown at the condition they name, and the rule as JSON (export and import).
   Plain browser JavaScript, no build step. The page provides #segment-builder-data (JSON). */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;
  var MAX_DEPTH = 7;
  var MAX_IMPORT_BYTES = 1024 * 1024;

  var dataElement = document.getElementById("segment-builder-data");
  var form = document.getElementById("segment-form");
  if (!dataElement || !form) { return; }
  var data = JSON.parse(dataElement.textContent);
  var T = data.texts;
  var fields = {};
  var groups = [];
  data.catalogue.forEach(function (field) {
    fields[field.key] = field;
    if (groups.indexOf(field.group) < 0) { groups.push(field.group); }
  });
  var shapes = data.shapes;
  var builderElement = document.getElementById("rule-builder");
  var ruleInput = form.querySelector("input[name=rule]");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var panel = document.getElementById("live-count");
  var jsonView = document.querySelector("[data-rule-json]");
  var importError = document.querySelector("[data-import-error]");
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var nextId = 1;
  var root;
  var nodesByPath = {};
  var timer = null;
  var sequence = 0;
  var controller = null;

  // -- the model ----------------------------------------------------------------------------

  function newGroup(mode) {
    return {kind: "group", id: nextId++, mode: mode || "all", negated: false, children: []};
  }

  function newCondition() {
    return {kind: "condition", id: nextId++, field: "", op: "", value: null, negated: false};
  }

  function shapeOf(op) {
    if (shapes.none.indexOf(op) >= 0) { return "none"; }
    if (shapes.many.indexOf(op) >= 0) { return "many"; }
    if (shapes.two.indexOf(op) >= 0) { return "two"; }
    if (shapes.days.indexOf(op) >= 0) { return "days"; }
    return "one";
  }

  function emptyValue(shape) {
    return {none: null, many: [], two: ["", ""], days: "", one: ""}[shape];
  }

  function convertValue(value, from, to) {
    if (from === to) { return value; }
    if (from === "one" && to === "many") { return value ? [value] : []; }
    if (from === "many" && to === "one") { return value.length ? value[0] : ""; }
    if (from === "one" && to === "two") { return [value || "", ""]; }
    if (from === "two" && to === "one") { return value[0] || ""; }
    return emptyValue(to);
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function ImportProblem(path) { this.path = path; }

  /* A builder tree from the rule's JSON; `not` becomes a toggle (two `not`s cancel out). */
  function fromJson(value) {
    if (value === null || value === undefined) { return newGroup("all"); }
    var node = parseNode(value, "rule", 0);
    if (node.kind === "group") { return node; }
    var group = newGroup("all");
    group.children.push(node);
    return group;
  }

  function parseNode(value, path, depth) {
    if (!isObject(value) || depth > 40) { throw new ImportProblem(path); }
    var keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "not") {
      var inner = parseNode(value.not, path + ".not", depth + 1);
      inner.negated = !inner.negated;
      return inner;
    }
    var mode = Array.isArray(value.all) ? "all" : (Array.isArray(value.any) ? "any" : null);
    if (mode && !("field" in value)) {
      var group = newGroup(mode);
      group.children = value[mode].map(function (child, i) {
        return parseNode(child, path + "." + mode + "[" + i + "]", depth + 1);
      });
      return group;
    }
    if (typeof value.field === "string") {
      var condition = newCondition();
      condition.field = value.field;
      condition.op = typeof value.op === "string" ? value.op : "";
      condition.value = valueFromJson(value.value, shapeOf(condition.op));
      return condition;
    }
    throw new ImportProblem(path);
  }

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function valueFromJson(value, shape) {
    if (shape === "none") { return null; }
    if (shape === "many") { return (Array.isArray(value) ? value : (value === undefined ? [] : [value])).map(text); }
    if (shape === "two") { return Array.isArray(value) ? [text(value[0]), text(value[1])] : [text(value), ""]; }
    return Array.isArray(value) ? text(value[0]) : text(value);
  }

  /* The rule's JSON (null when there is no condition); records each node's path for errors. */
  function toJson() {
    nodesByPath = {};
    if (!root.children.length) { return null; }
    return nodeJson(root, "rule");
  }

  function nodeJson(node, path) {
    nodesByPath[path] = node;
    var inner = node.negated ? path + ".not" : path;
    nodesByPath[inner] = node;
    var result;
    if (node.kind === "group") {
      result = {};
      result[node.mode] = node.children.map(function (child, i) {
        return nodeJson(child, inner + "." + node.mode + "[" + i + "]");
      });
    } else {
      result = {field: node.field, op: node.op};
      if (shapeOf(node.op) !== "none") { result.value = node.value; }
    }
    return node.negated ? {not: result} : result;
  }

  function selectedLists(name) {
    var select = form.querySelector("select[name=" + name + "]");
    if (!select) { return []; }
    return Array.prototype.filter.call(select.options, function (o) { return o.selected; })
      .map(function (o) { return parseInt(o.value, 10); });
  }

  function payload() {
    return {rule: toJson(), include_lists: selectedLists("include_lists"),
            exclude_lists: selectedLists("exclude_lists")};
  }

  // -- rendering ----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { element.textContent = attrs[key]; }
      else if (key === "className") { element.className = attrs[key]; }
      else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) {
        element.setAttribute(key, attrs[key] === true ? "" : attrs[key]);
      }
    });
    (children || []).forEach(function (child) { if (child) { element.appendChild(child); } });
    return element;
  }

  function render() {
    builderElement.innerHTML = "";
    builderElement.appendChild(renderGroup(root, null, 0));
    changed(false);
  }

  function notToggle(node) {
    var box = el("input", {type: "checkbox", id: "not-" + node.id, className: "form-check-input",
                           "data-role": "not"});
    box.checked = node.negated;
    box.addEventListener("change", function () { node.negated = box.checked; render(); });
    return el("div", {className: "form-check form-check-inline mr-0 rb-not", title: T.notTitle}, [
      box, el("label", {className: "form-check-label", "for": "not-" + node.id, text: T.not})]);
  }

  function renderGroup(group, parent, depth) {
    var mode = el("select", {className: "custom-select custom-select-sm", "aria-label": T.match,
                             "data-role": "mode"}, [
      el("option", {value: "all", text: T.all}), el("option", {value: "any", text: T.any})]);
    mode.value = group.mode;
    mode.addEventListener("change", function () { group.mode = mode.value; render(); });
    var head = el("div", {className: "rb-head"}, [
      parent ? null : el("span", {className: "rb-match", text: T.match}), notToggle(group), mode]);
    if (parent) {
      head.appendChild(removeButton(T.removeGroup, function () {
        parent.children.splice(parent.children.indexOf(group), 1); render();
      }));
    }
    var list = el("ol", {className: "rb-children"});
    group.children.forEach(function (child) {
      list.appendChild(el("li", {}, [child.kind === "group" ? renderGroup(child, group, depth + 1)
                                                             : renderCondition(child, group)]));
    });
    var addCondition = el("button", {type: "button", className: "btn btn-sm btn-outline-primary",
                                     "data-action": "add-condition", text: "+ " + T.addCondition});
    addCondition.addEventListener("click", function () {
      var condition = newCondition();
      group.children.push(condition);
      render();
      focusRole(condition.id, "field");
    });
    var actions = el("div", {className: "rb-actions"}, [addCondition]);
    if (depth < MAX_DEPTH) {
      var addGroup = el("button", {type: "button", className: "btn btn-sm btn-outline-secondary ml-2",
                                   "data-action": "add-group", text: "+ " + T.addGroup});
      addGroup.addEventListener("click", function () {
        var child = newGroup(group.mode === "all" ? "any" : "all");
        child.children.push(newCondition());
        group.children.push(child);
        render();
      });
      actions.appendChild(addGroup);
    }
    var empty = group.children.length ? null
      : el("p", {className: "rb-empty text-muted small mb-2", text: parent ? T.emptyGroup : T.emptyRoot});
    return el("div", {className: "rb-group rb-" + group.mode + (group.negated ? " rb-negated" : ""),
                      "data-node": group.id, role: "group", "aria-label": group.mode === "all" ? T.all : T.any}, [
      head, el("div", {className: "rb-error", id: "error-" + group.id}), empty, list, actions]);
  }

  /* Keep the keyboard where the user works after the builder is drawn again. */
  function focusRole(nodeId, role) {
    var target = builderElement.querySelector("[data-node='" + nodeId + "'] > .rb-line [data-role=" + role + "]");
    if (target && target.tagName === "DIV") { target = target.querySelector("input"); }
    if (target) { target.focus(); }
    return Boolean(target);
  }

  function removeButton(label, onClick) {
    var button = el("button", {type: "button", className: "btn btn-sm btn-link text-danger rb-remove",
                               title: label, "aria-label": label, "data-action": "remove"}, [
      el("span", {"aria-hidden": "true", text: "×"})]);
    button.addEventListener("click", onClick);
    return button;
  }

  function fieldSelect(condition) {
    var select = el("select", {className: "custom-select custom-select-sm", "aria-label": T.field,
                               "data-role": "field", id: "field-" + condition.id});
    select.appendChild(el("option", {value: "", text: T.chooseField}));
    groups.forEach(function (name) {
      var optgroup = el("optgroup", {label: name});
      data.catalogue.forEach(function (field) {
        if (field.group === name) { optgroup.appendChild(el("option", {value: field.key, text: field.label})); }
      });
      select.appendChild(optgroup);
    });
    if (condition.field && !fields[condition.field]) {
      select.appendChild(el("option", {value: condition.field, text: T.unknownField + ": " + condition.field}));
    }
    select.value = condition.field;
    select.addEventListener("change", function () {
      condition.field = select.value;
      var field = fields[condition.field];
      condition.op = field ? field.operators[0].key : "";
      condition.value = emptyValue(shapeOf(condition.op));
      render();
      focusRole(condition.id, "op");
    });
    return select;
  }

  function operatorSelect(condition, field) {
    var select = el("select", {className: "custom-select custom-select-sm", "aria-label": T.operator,
                               "data-role": "op"});
    var operators = field ? field.operators : [];
    operators.forEach(function (op) { select.appendChild(el("option", {value: op.key, text: op.label})); });
    if (condition.op && !operators.some(function (op) { return op.key === condition.op; })) {
      select.appendChild(el("option", {value: condition.op, text: condition.op}));
    }
    select.value = condition.op;
    select.addEventListener("change", function () {
      condition.value = convertValue(condition.value, shapeOf(condition.op), shapeOf(select.value));
      condition.op = select.value;
      render();
      focusRole(condition.id, "value") || focusRole(condition.id, "op");
    });
    return select;
  }

  function renderCondition(condition, parent) {
    var field = fields[condition.field];
    var parts = [notToggle(condition), fieldSelect(condition)];
    if (condition.field) {
      parts.push(operatorSelect(condition, field));
      parts.push(valueEditor(condition, field));
    }
    parts.push(removeButton(T.removeCondition, function () {
      parent.children.splice(parent.children.indexOf(condition), 1); render();
    }));
    return el("div", {className: "rb-condition" + (condition.negated ? " rb-negated" : ""),
                      "data-node": condition.id, "data-field": condition.field}, [
      el("div", {className: "rb-line"}, parts),
      el("div", {className: "rb-error", id: "error-" + condition.id})]);
  }

  function input(attrs, value, onInput) {
    var box = el("input", Object.assign({className: "form-control form-control-sm", "data-role": "value"}, attrs));
    box.value = value || "";
    box.addEventListener("input", function () { onInput(box.value); changed(true); });
    return box;
  }

  function scalarInput(field, value, label, onInput) {
    var type = field && field.type;
    if (type === "date") { return input({type: "date", "aria-label": label}, value, onInput); }
    if (type === "number") {
      return input({type: "text", inputmode: field.integer ? "numeric" : "decimal", "aria-label": label,
                    className: "form-control form-control-sm rb-number"}, value, onInput);
    }
    return input({type: "text", "aria-label": label}, value, onInput);
  }

  function valueEditor(condition, field) {
    var shape = shapeOf(condition.op);
    if (shape === "none") { return null; }
    if (shape === "days") {
      return el("span", {className: "rb-value"}, [
        input({type: "number", min: 0, max: 3650, step: 1, "aria-label": T.days,
               className: "form-control form-control-sm rb-days"}, condition.value,
              function (v) { condition.value = v; }),
        el("span", {className: "ml-1", text: T.days})]);
    }
    if (shape === "two") {
      return el("span", {className: "rb-value"}, [
        el("span", {className: "mr-1", text: T.from}),
        scalarInput(field, condition.value[0], T.from, function (v) { condition.value[0] = v; }),
        el("span", {className: "mx-1", text: T.to}),
        scalarInput(field, condition.value[1], T.to, function (v) { condition.value[1] = v; })]);
    }
    if (shape === "many") {
      return field && field.options.length ? optionBoxes(condition, field) : tagInput(condition);
    }
    return el("span", {className: "rb-value"}, [
      scalarInput(field, condition.value, T.value, function (v) { condition.value = v; })]);
  }

  function optionBoxes(condition, field) {
    var box = el("div", {className: "rb-options", role: "group", "aria-label": T.values, "data-role": "value"});
    field.options.forEach(function (option, i) {
      var id = "opt-" + condition.id + "-" + i;
      var check = el("input", {type: "checkbox", className: "form-check-input", id: id, value: option.value});
      check.checked = condition.value.indexOf(option.value) >= 0;
      check.addEventListener("change", function () {
        var values = condition.value.filter(function (v) { return v !== option.value; });
        if (check.checked) { values.push(option.value); }
        condition.value = field.options.map(function (o) { return o.value; })
          .filter(function (v) { return values.indexOf(v) >= 0; });
        changed(true);
      });
      box.appendChild(el("div", {className: "form-check"}, [
        check, el("label", {className: "form-check-label", "for": id, text: option.label})]));
    });
    return box;
  }

  function tagInput(condition) {
    var tags = el("span", {className: "rb-tags"});
    var entry = el("input", {type: "text", className: "form-control form-control-sm rb-tag-entry",
                             placeholder: T.addValue, "aria-label": T.values, "data-role": "value"});
    function draw() {
      tags.innerHTML = "";
      condition.value.forEach(function (value, i) {
        var remove = el("button", {type: "button", className: "close ml-1",
                                   "aria-label": T.removeValue.replace("%(value)s", value)}, [
          el("span", {"aria-hidden": "true", text: "×"})]);
        remove.addEventListener("click", function () {
          condition.value.splice(i, 1); draw(); changed(true); entry.focus();
        });
        tags.appendChild(el("span", {className: "badge badge-primary rb-tag", "data-tag": value}, [
          el("span", {text: value}), remove]));
      });
    }
    function take() {
      var added = false;
      entry.value.split(/[,;\n\t]/).forEach(function (part) {
        var value = part.trim();
        if (value && condition.value.indexOf(value) < 0) { condition.value.push(value); added = true; }
      });
      entry.value = "";
      if (added) { draw(); changed(true); }
    }
    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") { event.preventDefault(); take(); }
      else if (event.key === "Backspace" && !entry.value && condition.value.length) {
        condition.value.pop(); draw(); changed(true);
      }
    });
    entry.addEventListener("blur", take);
    entry.addEventListener("paste", function () { setTimeout(take, 0); });
    draw();
    return el("span", {className: "rb-value rb-tag-input"}, [tags, entry]);
  }

  // -- errors, the JSON view and the live count ----------------------------------------------

  function clearErrors() {
    Array.prototype.forEach.call(document.querySelectorAll(".rb-error, [data-list-error]"), function (box) {
      box.textContent = "";
    });
    Array.prototype.forEach.call(builderElement.querySelectorAll(".is-invalid, .rb-invalid"), function (item) {
      item.classList.remove("is-invalid", "rb-invalid");
      item.removeAttribute("aria-invalid");
    });
  }

  function nodeForPath(path) {
    var best = null;
    Object.keys(nodesByPath).forEach(function (candidate) {
      var fits = path === candidate || path.indexOf(candidate + ".") === 0 || path.indexOf(candidate + "[") === 0;
      if (fits && (best === null || candidate.length > best.length)) { best = candidate; }
    });
    return best === null ? null : {node: nodesByPath[best], rest: path.slice(best.length).replace(/^\.(not\.)?/, "")};
  }

  function showErrors(errors) {
    clearErrors();
    Object.keys(errors).forEach(function (path) {
      var message = errors[path];
      if (path === "include_lists" || path === "exclude_lists") {
        var listBox = document.querySelector("[data-list-error=" + path + "]");
        if (listBox) { listBox.textContent = message; return; }
      }
      var found = path.indexOf("rule") === 0 ? nodeForPath(path) : null;
      var node = found ? found.node : root;
      var box = document.getElementById("error-" + node.id);
      if (!box) { return; }
      box.appendChild(el("div", {text: message, "data-error-path": path}));
      var element = builderElement.querySelector("[data-node='" + node.id + "']");
      if (element) {
        element.classList.add("rb-invalid");
        var role = {field: "field", op: "op", value: "value"}[found ? found.rest.split(/[.[]/)[0] : ""];
        var target = role && element.querySelector(":scope > .rb-line [data-role=" + role + "]");
        if (target) { target.classList.add("is-invalid"); target.setAttribute("aria-invalid", "true"); }
      }
    });
  }

  function changed(valueOnly) {
    var current = payload();
    ruleInput.value = JSON.stringify(current.rule);
    jsonView.textContent = JSON.stringify(current.rule, null, 2);
    if (!valueOnly) { clearErrors(); }
    schedule();
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(count, DEBOUNCE_MS);
  }

  function setStatus(message, busy) {
    var status = panel.querySelector("[data-count-status]");
    status.textContent = message || "";
    panel.classList.toggle("rb-stale", Boolean(busy));
    panel.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function missingFields(node, out) {
    if (node.kind === "group") { node.children.forEach(function (c) { missingFields(c, out); }); }
    else if (!node.field) { out.push(node); }
    return out;
  }

  function count() {
    var body = payload();
    var missing = missingFields(root, []);
    if (missing.length) {
      clearErrors();
      missing.forEach(function (node) {
        var box = document.getElementById("error-" + node.id);
        if (box) { box.appendChild(el("div", {text: T.fieldMissing})); }
      });
      setStatus(T.fixErrors, true);
      return;
    }
    var mine = ++sequence;
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    setStatus(T.counting, true);
    fetch(data.previewUrl, {
      method: "POST", credentials: "same-origin", signal: controller ? controller.signal : undefined,
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrfInput ? csrfInput.value : ""},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return {status: response.status, json: json}; });
    }).then(function (answer) {
      if (mine !== sequence) { return; }
      if (answer.status === 200) {
        clearErrors();
        showFigures(answer.json);
        setStatus("", false);
      } else if (answer.json && answer.json.errors) {
        showErrors(answer.json.errors);
        setStatus(T.fixErrors, true);
      } else {
        setStatus(T.countFailed, true);
      }
    }).catch(function (error) {
      if (mine === sequence && !(error && error.name === "AbortError")) { setStatus(T.countFailed, true); }
    });
  }

  function stat(name, value) {
    var target = panel.querySelector("[data-stat=" + name + "]");
    if (target) { target.textContent = numberFormat.format(value); target.setAttribute("data-value", value); }
  }

  function showFigures(figures) {
    stat("members", figures.members);
    stat("sms", figures.reachable.sms);
    stat("email", figures.reachable.email);
    stat("any-channel", figures.any_channel);
    var reasons = panel.querySelector("[data-section=reasons]");
    reasons.innerHTML = "";
    data.channelOrder.forEach(function (channel) {
      var items = data.reasonOrder.filter(function (reason) {
        return figures.reasons[channel][reason] > 0;
      }).map(function (reason) {
        return el("li", {"data-reason": channel + "." + reason}, [
          el("span", {text: data.reasons[channel][reason] + ": "}),
          el("strong", {text: numberFormat.format(figures.reasons[channel][reason])})]);
      });
      if (items.length) {
        reasons.appendChild(el("h3", {className: "h6 mt-2 mb-1",
                                      text: T.unreachable + " (" + data.channels[channel] + ")"}));
        reasons.appendChild(el("ul", {className: "small mb-1 pl-3"}, items));
      }
    });
    var sample = panel.querySelector("[data-section=sample] tbody");
    sample.innerHTML = "";
    figures.sample.forEach(function (row) {
      sample.appendChild(el("tr", {}, [
        el("td", {text: row.legacy_id}),
        el("td", {}, [el("a", {href: row.url, target: "_blank", rel: "noopener", text: row.name})]),
        el("td", {text: row.nip || "—"}), el("td", {text: row.district || "—"})]));
    });
    if (!figures.sample.length) {
      sample.appendChild(el("tr", {}, [el("td", {colspan: 4, className: "text-muted", text: T.noSample})]));
    }
  }

  // -- export and import ---------------------------------------------------------------------

  function download() {
    var blob = new Blob([JSON.stringify(payload().rule, null, 2) + "\n"], {type: "application/json"});
    var link = el("a", {href: URL.createObjectURL(blob), download: data.downloadName});
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function importText(source) {
    var parsed;
    importMessage("", false);
    try { parsed = JSON.parse(source); }
    catch (error) { importMessage(T.jsonInvalid.replace("%(error)s", error.message), false); return; }
    var rule = parsed;
    if (isObject(parsed) && "rule" in parsed && !("field" in parsed)) {
      rule = parsed.rule;
      selectLists("include_lists", parsed.include_lists);
      selectLists("exclude_lists", parsed.exclude_lists);
    }
    try { root = fromJson(rule); }
    catch (problem) {
      if (!(problem instanceof ImportProblem)) { throw problem; }
      importMessage(T.jsonNotRule.replace("%(error)s", T.jsonNode.replace("%(path)s", problem.path)), false);
      return;
    }
    render();
    importMessage(T.imported, true);
  }

  function importMessage(message, ok) {
    importError.textContent = message;
    importError.classList.toggle("text-danger", !ok);
    importError.classList.toggle("text-success", ok);
  }

  function selectLists(name, ids) {
    var select = form.querySelector("select[name=" + name + "]");
    if (!select || !Array.isArray(ids)) { return; }
    Array.prototype.forEach.call(select.options, function (option) {
      option.selected = ids.indexOf(parseInt(option.value, 10)) >= 0;
    });
  }

  // -- start ---------------------------------------------------------------------------------

  try { root = fromJson(data.rule); }
  catch (problem) { root = newGroup("all"); }
  render();
  if (Object.keys(data.errors || {}).length) { showErrors(data.errors); }

  builderElement.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT") { event.preventDefault(); }
  });
  Array.prototype.forEach.call(form.querySelectorAll("select[data-list-select]"), function (select) {
    select.addEventListener("change", function () { changed(true); });
  });
  form.addEventListener("submit", function () { ruleInput.value = JSON.stringify(payload().rule); });
  document.querySelector("[data-action=download]").addEventListener("click", download);
  document.querySelector("[data-action=import]").addEventListener("click", function () {
    importText(document.querySelector("[data-import-text]").value);
  });
  document.querySelector("[data-import-file]").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    if (file.size > MAX_IMPORT_BYTES) { importMessage(T.fileTooLarge, false); return; }
    var reader = new FileReader();
    reader.onload = function () { importText(String(reader.result)); event.target.value = ""; };
    reader.readAsText(file);
  });
})();
