"""Keras peer for `npm run bench -- --keras PYTHON` (optional, never in CI).

Runs one of the generic bench cases (bench/cases/{mlp,small-cnn,transfer-head,lstm-char,
gru-char,dcgan-step}.ts) or one of the exercise cases (01 … 06, bench/cases/0*.ts), with the
same architecture, batch size, optimiser and loss in Keras
(PyPI tensorflow-cpu, its default compiled train step), and prints the same "BENCH {json}"
event lines as bench/run.ts's children, so the parent times it like any other backend.

    python bench/keras_peer.py --case mlp --warmup 2 --steps 5

Needs a Python with tensorflow installed, e.g.
    python3 -m venv ~/.cache/tfjs-course/keras-venv
    ~/.cache/tfjs-course/keras-venv/bin/pip install tensorflow-cpu
"""
import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BATCH = 64


def emit(event):
    sys.stdout.write("BENCH " + json.dumps(event) + "\n")
    sys.stdout.flush()


def classifier_case(tf, keras, layers, optimizer, x, y):
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")

    def step():
        model.train_on_batch(x, y)  # returns the loss as a number: the step really ran

    return step


def gan_step(tf, keras, gen, disc, latent, rnd):
    """One DCGAN step as the course writes it: D on real + G(z1), then G through D on G(z2)."""
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    real = rnd.uniform([BATCH, 28, 28, 1], -1, 1)
    ones, zeros = tf.ones([BATCH, 1]), tf.zeros([BATCH, 1])

    @tf.function
    def train_step(z1, z2):
        with tf.GradientTape() as tape:
            fake = gen(z1, training=True)
            d_loss = bce(ones, disc(real, training=True)) + bce(zeros, disc(fake, training=True))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, disc.trainable_variables), disc.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = bce(ones, disc(gen(z2, training=True), training=True))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, gen.trainable_variables), gen.trainable_variables))
        return d_loss, g_loss

    def step():
        d, gl = train_step(rnd.normal([BATCH, latent]), rnd.normal([BATCH, latent]))
        d.numpy(), gl.numpy()

    return step


def build(name, tf, keras):
    L = keras.layers
    g = keras.initializers.GlorotUniform
    rnd = tf.random.Generator.from_seed(4)
    onehot = lambda n, k: tf.one_hot(rnd.uniform([n], 0, k, dtype=tf.int32), k)
    if name == "mlp":
        return classifier_case(tf, keras, [
            keras.Input([784]),
            L.Dense(128, activation="relu", kernel_initializer=g(1)),
            L.Dense(64, activation="relu", kernel_initializer=g(2)),
            L.Dense(10, activation="softmax", kernel_initializer=g(3)),
        ], keras.optimizers.Adam(1e-3), rnd.uniform([BATCH, 784]), onehot(BATCH, 10))
    if name in ("small-cnn", "transfer-head"):
        base = [
            L.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=g(1)),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer=g(2)),
            L.MaxPooling2D(2),
        ]
        if name == "transfer-head":
            for layer in base:
                layer.trainable = False
            head = [L.Flatten(), L.Dense(64, activation="relu", kernel_initializer=g(3)), L.Dense(10, activation="softmax", kernel_initializer=g(4))]
        else:
            head = [L.Flatten(), L.Dense(10, activation="softmax", kernel_initializer=g(3))]
        return classifier_case(tf, keras, [keras.Input([28, 28, 1]), *base, *head],
                               keras.optimizers.Adam(1e-3), rnd.uniform([BATCH, 28, 28, 1]), onehot(BATCH, 10))
    if name in ("lstm-char", "gru-char"):
        seq, vocab = 40, 60
        ids = rnd.uniform([BATCH, seq + 1], 0, vocab, dtype=tf.int32)
        x = tf.one_hot(ids[:, :seq], vocab)
        y = tf.one_hot(ids[:, seq], vocab)
        # tfjs's LSTM/GRU default recurrent activation is hard_sigmoid; use the same here.
        cell = L.LSTM if name == "lstm-char" else L.GRU
        extra = {} if name == "lstm-char" else {"reset_after": False}  # tfjs's GRU is the reset-before form
        return classifier_case(tf, keras, [
            keras.Input([seq, vocab]),
            cell(128, recurrent_activation="hard_sigmoid", kernel_initializer=g(1), recurrent_initializer=g(2), **extra),
            L.Dense(vocab, activation="softmax", kernel_initializer=g(3)),
        ], keras.optimizers.RMSprop(0.01), x, y)
    if name == "02-activations-mlp6-gelu":
        # 784 → 5×64 GELU (tanh approximation) → 10 logits, Adam 1e-3, softmax cross-entropy
        layers = [keras.Input([784])]
        layers += [L.Dense(64, activation=lambda t: keras.activations.gelu(t, approximate=True), kernel_initializer=g(i)) for i in range(5)]
        layers += [L.Dense(10, kernel_initializer=g(9))]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.CategoricalCrossentropy(from_logits=True))
        x, y = rnd.uniform([BATCH, 784]), onehot(BATCH, 10)
        return lambda: model.train_on_batch(x, y)
    if name == "03-char-rnn-lstm96-seq40":
        # embedding 32 → LSTM 96 (all steps) → dense logits over 80 chars; 32 windows of 40;
        # Adam 0.01 with global-norm clipping 1; mean cross-entropy over every position
        vocab, batch, seq = 80, 32, 40
        model = keras.Sequential([
            keras.Input([seq], dtype="int32"),
            L.Embedding(vocab, 32),
            L.LSTM(96, return_sequences=True, recurrent_activation="hard_sigmoid", recurrent_initializer=g(2)),
            L.Dense(vocab),
        ])
        model.compile(optimizer=keras.optimizers.Adam(0.01, global_clipnorm=1.0),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        x = rnd.uniform([batch, seq], 0, vocab, dtype=tf.int32)
        y = rnd.uniform([batch, seq], 0, vocab, dtype=tf.int32)
        return lambda: model.train_on_batch(x, y)
    if name == "01-ffnn-mlp-784-128-64-10-manual-backprop":
        # 784 → 128 → 64 → 10, ReLU/softmax, He init, plain SGD 0.05, cross-entropy (the exercise
        # writes the backward pass by hand; Keras differentiates the same net)
        h = keras.initializers.HeNormal
        return classifier_case(tf, keras, [
            keras.Input([784]),
            L.Dense(128, activation="relu", kernel_initializer=h(1)),
            L.Dense(64, activation="relu", kernel_initializer=h(2)),
            L.Dense(10, activation="softmax", kernel_initializer=h(3)),
        ], keras.optimizers.SGD(0.05), rnd.uniform([BATCH, 784]), onehot(BATCH, 10))
    if name == "06-regularisation-lab-mlp-dropout-l2-adam":
        # 784 → 256 → 256 → 10, He init, dropout 0.5 after each hidden ReLU, L2 λ=1e-3 on the
        # kernels (penalty gradient 2λW, as Keras's L2), Adam 1e-3, softmax cross-entropy on logits
        h = keras.initializers.HeNormal
        l2 = keras.regularizers.L2(1e-3)
        model = keras.Sequential([
            keras.Input([784]),
            L.Dense(256, activation="relu", kernel_initializer=h(1), kernel_regularizer=l2), L.Dropout(0.5),
            L.Dense(256, activation="relu", kernel_initializer=h(2), kernel_regularizer=l2), L.Dropout(0.5),
            L.Dense(10, kernel_initializer=h(3), kernel_regularizer=l2),
        ])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.CategoricalCrossentropy(from_logits=True))
        x, y = rnd.uniform([BATCH, 784]), onehot(BATCH, 10)
        return lambda: model.train_on_batch(x, y)
    if name == "05-transfer-finetune-step":
        # the transfer base (conv 8/16/32, 3×3 ReLU, each + 2×2 max-pool) cut at flatten, a new
        # 5-way softmax head; conv3 trains with Adam 1e-4, the head with Adam 1e-3, conv1/conv2
        # frozen; mean categorical cross-entropy
        h = keras.initializers.HeNormal
        inp = keras.Input([28, 28, 1])
        t = inp
        convs = []
        for k, f in enumerate((8, 16, 32)):
            c = L.Conv2D(f, 3, padding="same", activation="relu", kernel_initializer=h(k + 1))
            convs.append(c)
            t = L.MaxPooling2D(2)(c(t))
        head = L.Dense(5, activation="softmax", kernel_initializer=g(5))
        model = keras.Model(inp, head(L.Flatten()(t)))
        base_opt, head_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-3)
        base_vars, head_vars = convs[2].trainable_variables, head.trainable_variables
        cce = keras.losses.CategoricalCrossentropy()
        x, y = rnd.uniform([BATCH, 28, 28, 1]), onehot(BATCH, 5)

        @tf.function
        def train_step(xb, yb):
            with tf.GradientTape() as tape:
                loss = cce(yb, model(xb, training=True))
            grads = tape.gradient(loss, [*head_vars, *base_vars])
            head_opt.apply_gradients(zip(grads[:len(head_vars)], head_vars))
            base_opt.apply_gradients(zip(grads[len(head_vars):], base_vars))
            return loss

        return lambda: train_step(x, y).numpy()
    if name == "04-dcgan-step":
        # the exercise's DCGAN at the full run's size: latent 64, width 32; G: dense 7·7·64 (no
        # bias) → BN → LeakyReLU 0.2 → convT 32 (5×5, s2, no bias) → BN → LeakyReLU → convT 1
        # (5×5, s2, tanh); D: conv 32 (5×5, s2) → LeakyReLU → dropout 0.3 → conv 64 → LeakyReLU →
        # dropout 0.3 → dense 1 logit; BCE on logits; D step then G step, fresh noise for each
        latent, width = 64, 32
        gen = keras.Sequential([
            keras.Input([latent]),
            L.Dense(7 * 7 * 2 * width, use_bias=False, kernel_initializer=g(1)), L.BatchNormalization(), L.LeakyReLU(0.2),
            L.Reshape([7, 7, 2 * width]),
            L.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False, kernel_initializer=g(2)), L.BatchNormalization(), L.LeakyReLU(0.2),
            L.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh", kernel_initializer=g(3)),
        ])
        disc = keras.Sequential([
            keras.Input([28, 28, 1]),
            L.Conv2D(width, 5, strides=2, padding="same", kernel_initializer=g(4)), L.LeakyReLU(0.2), L.Dropout(0.3),
            L.Conv2D(2 * width, 5, strides=2, padding="same", kernel_initializer=g(5)), L.LeakyReLU(0.2), L.Dropout(0.3),
            L.Flatten(), L.Dense(1, kernel_initializer=g(6)),
        ])
        return gan_step(tf, keras, gen, disc, latent, rnd)
    if name == "dcgan-step":
        latent = 100
        gen = keras.Sequential([
            keras.Input([latent]),
            L.Dense(7 * 7 * 128, use_bias=False, kernel_initializer=g(1)), L.BatchNormalization(), L.ReLU(),
            L.Reshape([7, 7, 128]),
            L.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False, kernel_initializer=g(2)), L.BatchNormalization(), L.ReLU(),
            L.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", kernel_initializer=g(3)),
        ])
        disc = keras.Sequential([
            keras.Input([28, 28, 1]),
            L.Conv2D(64, 4, strides=2, padding="same", kernel_initializer=g(4)), L.LeakyReLU(0.2),
            L.Conv2D(128, 4, strides=2, padding="same", kernel_initializer=g(5)), L.LeakyReLU(0.2),
            L.Flatten(), L.Dense(1, kernel_initializer=g(6)),
        ])
        return gan_step(tf, keras, gen, disc, latent, rnd)
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--budget", type=float, default=90)
    a = p.parse_args()
    try:
        import tensorflow as tf
        import keras
    except ImportError as err:
        emit({"kind": "unavailable", "reason": f"tensorflow is not installed for {sys.executable}: {err}"})
        return
    tf.keras.utils.set_random_seed(1234)
    t0 = time.perf_counter()
    step = build(a.case, tf, keras)
    if step is None:
        emit({"kind": "unavailable", "reason": f"no Keras version of {a.case}"})
        return
    emit({"kind": "ready", "tfBackend": f"keras {keras.__version__} / tensorflow {tf.__version__}", "setupMs": (time.perf_counter() - t0) * 1000})
    started = time.perf_counter()
    timed = 0
    for i in range(a.warmup + a.steps):
        s = time.perf_counter()
        c = time.process_time()
        step()
        emit({"kind": "step", "warmup": i < a.warmup, "ms": (time.perf_counter() - s) * 1000, "cpuMs": (time.process_time() - c) * 1000})
        if i >= a.warmup:
            timed += 1
        if timed > 0 and time.perf_counter() - started > a.budget * 0.8:
            break
    emit({"kind": "done", "peakTensorBytes": None, "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


if __name__ == "__main__":
    main()
