"""The web console (GET /console) and `seqrec report`, checked in headless Chromium.

Needs Debian's chromium, chromium-driver and python3-selenium (scripts/install_deps.sh installs them).
"""
# 浏览器测试：测试自己起一个 seqrec serve（只听 127.0.0.1，用完即停）和无头 Chromium；
# 控制台里输入历史（用标题），页面上的推荐与 POST /recommend 的回答逐项相同；模型页与服务页的图有数据；
# 报告文件离线打开，图都画出来；没有 JavaScript 错误；手机宽度下页面不横向溢出；令牌与 --no-console。
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")


def run(*args):
    p = subprocess.run([SEQREC, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """seqrec serve on a free loopback port, stopped by stop()."""

    def __init__(self, model_dir, *extra):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([SEQREC, "serve", "--model", model_dir, "--host", "127.0.0.1", "--port",
                                      str(self.port), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/health/ready", timeout=1).read()
                return
            except (urllib.error.URLError, ConnectionError):
                assert self.proc.poll() is None, self.proc.stderr.read().decode()
                time.sleep(0.1)
        raise AssertionError("seqrec serve did not become ready")

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    def get(self, path, token=None):
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {token}"} if token else {})
        return urllib.request.urlopen(req, timeout=10)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("console")
    run("generate", "--out", str(d / "ratings.csv"), "--users", "150", "--items", "90", "--groups", "8", "--mean-length", "12")
    items = sorted({line.split(",")[1] for line in open(d / "ratings.csv").read().splitlines()[1:]}, key=int)
    with open(d / "items.csv", "w") as f:  # 物品元数据：item_id,title,genres（标题里带逗号，检查引号）
        f.write("item_id,title,genres\n")
        for i in items:
            f.write(f'{i},"Item {i}, the film ({1990 + int(i) % 30})",Drama|Comedy\n')
    out = {"titles": {i: f"Item {i}, the film ({1990 + int(i) % 30})" for i in items}}
    for kind, extra in (("sasrec", ["--ffn-dim", "16"]), ("gru4rec", ["--hidden", "16"])):
        out[kind] = str(d / kind)
        run("train", "--data", str(d / "ratings.csv"), "--out", out[kind], "--model", kind, "--dim", "16", *extra,
            "--layers", "1", "--max-len", "10", "--epochs", "3", "--eval-every", "1", "--quiet",
            "--item-titles", str(d / "items.csv"))
    return out


@pytest.fixture(scope="module")
def browser():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1200,1000"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    yield d
    d.quit()


def js_errors(browser):
    """JavaScript errors and failed page loads in the browser's console since the last call. Answers of
    the API that a test provokes on purpose (400, 401, 503 from /recommend, /users, the data files) are
    logged by Chromium as network errors too; only those of the page's own files and the favicon count."""
    def counts(e):
        if e["level"] != "SEVERE":
            return False
        if e["source"] != "network":
            return True
        return any(x in e["message"] for x in (".js ", ".css ", "/console ", "favicon"))
    return [e for e in browser.get_log("browser") if counts(e)]


def charts_with_data(browser):
    """How many canvases hold a Chart.js chart with at least one data point."""
    return browser.execute_script(
        "return [...document.querySelectorAll('canvas')].filter(c => { const ch = Chart.getChart(c);"
        " return ch && ch.data.datasets.some(d => d.data.filter(v => v !== null).length > 0); }).length")


def test_try_it_shows_the_api_answer(models, browser):
    js_errors(browser)  # 清掉之前测试的日志
    srv = Server(models["sasrec"])
    try:
        browser.get(srv.url + "/console")
        wait = WebDriverWait(browser, 20)
        wait.until(lambda b: "with titles" in b.find_element(By.ID, "model-meta").text)
        titles = models["titles"]
        history = list(titles)[:3]
        box = browser.find_element(By.ID, "try-history")
        box.send_keys("\n".join(titles[i] for i in history[:2]))  # 两个按标题
        add = browser.find_element(By.ID, "try-add")
        add.send_keys(history[2], Keys.ENTER)  # 一个按 ID，用 Enter 加进历史
        user = json.loads(srv.get("/console/catalog.json").read())["users"][4]
        browser.find_element(By.ID, "try-user").send_keys(user)
        k = browser.find_element(By.ID, "try-k")
        k.clear()
        k.send_keys("7", Keys.ENTER)  # 键盘提交
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#recommendations tbody tr")) == 7)
        rows = [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "th, td")]
                for tr in browser.find_elements(By.CSS_SELECTOR, "#recommendations tbody tr")]
        api = srv.post("/recommend", {"user_id": user, "recent_clicks": history, "top_k": 7})
        assert [r[1] for r in rows] == api["recommended_item_ids"]
        assert [r[3] for r in rows] == [f"{s:.4f}" for s in api["scores"]]
        assert [r[2] for r in rows] == [titles[i] for i in api["recommended_item_ids"]]
        assert api["strategy"] in browser.find_element(By.ID, "try-result").text
        # 超出范围的 K：浏览器的表单校验先拦下（不发请求）；去掉这个限制后，服务的错误消息显示出来
        k.clear()
        k.send_keys("5000", Keys.ENTER)
        assert k.get_attribute("validationMessage")
        assert not browser.find_element(By.ID, "try-error").is_displayed()
        browser.execute_script("document.getElementById('try-k').removeAttribute('max')")
        k.send_keys(Keys.ENTER)
        wait.until(lambda b: b.find_element(By.ID, "try-error").is_displayed())
        assert "top_k" in browser.find_element(By.ID, "try-error").text
        assert js_errors(browser) == []
    finally:
        srv.stop()


def test_model_and_service_views_draw_charts(models, browser):
    js_errors(browser)
    srv = Server(models["sasrec"])
    try:
        browser.get(srv.url + "/console#model")
        wait = WebDriverWait(browser, 20)
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#view-model canvas")) >= 3)
        assert charts_with_data(browser) >= 3  # 损失、验证 NDCG@10、测试 NDCG@K、按历史长度
        assert "sasrec" in browser.find_element(By.ID, "view-model").text
        for _ in range(3):
            srv.post("/recommend", {"user_id": None, "recent_clicks": ["1"], "top_k": 3})
        browser.find_element(By.ID, "tab-service").click()
        wait.until(lambda b: b.execute_script(
            "const c = document.querySelector('#service-charts canvas'); const ch = c && Chart.getChart(c);"
            " return ch && ch.data.datasets[0].data.length >= 1"))
        assert "/recommend" in browser.find_element(By.ID, "service-routes").text
        browser.find_element(By.ID, "tab-users").click()
        browser.find_element(By.ID, "history-user").send_keys("1", Keys.ENTER)
        wait.until(lambda b: b.find_element(By.ID, "history-error").is_displayed())
        assert "--store" in browser.find_element(By.ID, "history-error").text
        assert js_errors(browser) == []
    finally:
        srv.stop()


def test_console_behind_the_admin_token_and_off_switch(models, browser):
    srv = Server(models["gru4rec"], "--admin-token", "s3cret")
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            srv.get("/console/model.json")
        assert e.value.code == 401
        assert srv.get("/console/model.json", "s3cret").status == 200
        browser.get(srv.url + "/console")
        wait = WebDriverWait(browser, 20)
        wait.until(lambda b: b.find_element(By.ID, "token-form").is_displayed())
        browser.find_element(By.ID, "token").send_keys("s3cret", Keys.ENTER)
        wait.until(lambda b: "gru4rec" in b.find_element(By.ID, "model-meta").text)
        browser.find_element(By.ID, "tab-users").click()
        wait.until(lambda b: "Background retraining is off" in b.find_element(By.ID, "retrain-status").text)
        assert js_errors(browser) == []
        browser.execute_script("sessionStorage.clear()")
    finally:
        srv.stop()
    srv = Server(models["gru4rec"], "--no-console")
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            srv.get("/console")
        assert e.value.code == 404 and b"--no-console" in e.value.read()
    finally:
        srv.stop()


def test_report_renders_offline(models, browser, tmp_path):
    out = tmp_path / "report.html"
    text = run("report", "--model", models["sasrec"], "--model", models["gru4rec"], "--out", str(out))
    assert "2 models" in text
    html = out.read_text()
    assert "<script src=" not in html  # 自包含：不引用任何外部文件
    js_errors(browser)
    browser.get("file://" + str(out))
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.TAG_NAME, "canvas")) >= 3)
    assert charts_with_data(browser) >= 3
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "sasrec" in body and "gru4rec" in body and "most-popular" in body and "By history length" in body
    assert js_errors(browser) == []
    # 手机宽度：页面本身不横向溢出（宽表格在自己的容器里滚动）
    browser.set_window_size(390, 800)
    browser.refresh()
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.TAG_NAME, "canvas")) >= 3)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    browser.set_window_size(1200, 1000)


def test_report_bad_input(tmp_path):
    p = subprocess.run([SEQREC, "report", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "r.html")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "nope" in p.stderr and not (tmp_path / "r.html").exists()


def test_item_titles_from_a_headerless_dat_file(tmp_path):
    # ml-1m 的 movies.dat 的样子：ID::标题::类型，没有表头，Latin-1 编码
    run("generate", "--out", str(tmp_path / "r.csv"), "--users", "60", "--items", "30", "--groups", "4", "--mean-length", "8")
    items = sorted({line.split(",")[1] for line in open(tmp_path / "r.csv").read().splitlines()[1:]}, key=int)
    (tmp_path / "movies.dat").write_bytes("".join(f"{i}::Caf\xe9 {i} (1999)::Drama\n" for i in items).encode("latin-1"))
    run("train", "--data", str(tmp_path / "r.csv"), "--out", str(tmp_path / "m"), "--model", "gru4rec", "--epochs", "1",
        "--quiet", "--item-titles", str(tmp_path / "movies.dat"))
    titles = json.load(open(tmp_path / "m" / "item_titles.json"))
    assert titles[items[0]] == f"Caf\u00e9 {items[0]} (1999)" and len(titles) == len(items)
    manifest = json.load(open(tmp_path / "m" / "manifest.json"))
    assert manifest["item_titles"]["items_with_title"] == len(items) and "item_titles.json" in manifest["files"]
    # 一个物品都对不上的文件：报错，不写模型
    (tmp_path / "other.csv").write_text("item_id,title\n999999,Nothing\n")
    p = subprocess.run([SEQREC, "train", "--data", str(tmp_path / "r.csv"), "--out", str(tmp_path / "m2"), "--epochs", "1",
                        "--quiet", "--item-titles", str(tmp_path / "other.csv")], capture_output=True, text=True)
    assert p.returncode != 0 and "none of its 1 rows names an item" in p.stderr and not (tmp_path / "m2").exists()


def test_live_views_history_events_and_retrains(models, browser, tmp_path):
    # 带事件存储与后台重新训练的服务：历史（带标题）、事件计数、每次重新训练的质量门表与图
    js_errors(browser)
    srv = Server(models["sasrec"], "--store", str(tmp_path / "store"), "--retrain-dir", str(tmp_path / "retrained"),
                 "--retrain-epochs", "1", "--admin-token", "tok")
    try:
        rows = [line.split(",") for line in open(os.path.join(os.path.dirname(models["sasrec"]), "ratings.csv"))][1:]
        events = [{"user_id": u, "item_id": i, "type": "clicks", "ts": int(float(t)) * 1000} for u, i, *_, t in rows]
        for s in range(0, len(events), 200):  # 每个请求至多 --max-batch（256）个事件
            srv.post("/events", {"events": events[s:s + 200]})
        req = urllib.request.Request(srv.url + "/admin/retrain", b'{"wait": true}',
                                     {"Content-Type": "application/json", "Authorization": "Bearer tok"})
        result = json.loads(urllib.request.urlopen(req, timeout=300).read())
        assert result["result"] in ("promoted", "rejected"), result  # 质量门真的比较过
        user = rows[0][0]
        browser.get(srv.url + "/console#users")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda b: b.find_element(By.ID, "token-form").is_displayed())
        browser.find_element(By.ID, "token").send_keys("tok", Keys.ENTER)
        wait.until(lambda b: "items" in b.find_element(By.ID, "model-meta").text)
        browser.find_element(By.ID, "tab-try").click()
        browser.find_element(By.ID, "tab-users").click()  # 有了令牌之后重新读 /admin/status
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#retrain-status tbody tr"))
        status = browser.find_element(By.ID, "retrain-status").text
        assert result["result"] in status
        assert browser.execute_script(
            "const c = document.querySelector('#retrain-status canvas'); const ch = c && Chart.getChart(c);"
            " return ch && ch.data.datasets.every(d => d.data.length === 1 && d.data[0].y !== null)")
        browser.find_element(By.ID, "history-user").send_keys(user, Keys.ENTER)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#history-result tbody tr"))
        mine = [e for e in events if e["user_id"] == user][-50:]
        shown = [tr.find_elements(By.CSS_SELECTOR, "td")[0].text
                 for tr in browser.find_elements(By.CSS_SELECTOR, "#history-result tbody tr")]
        assert shown == [e["item_id"] for e in mine]
        assert models["titles"][mine[0]["item_id"]] in browser.find_element(By.ID, "history-result").text
        browser.find_element(By.ID, "tab-service").click()
        wait.until(lambda b: "events stored" in b.find_element(By.ID, "service-stats").text)
        assert f"{len(events):,}" in browser.find_element(By.ID, "service-stats").text
        assert js_errors(browser) == []
        browser.execute_script("sessionStorage.clear()")
    finally:
        srv.stop()
