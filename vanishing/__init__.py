"""vanishing: the companion package of a course on vanishing and exploding gradients.

One module per idea (import what you need, e.g. ``from vanishing.chain import trace_chain``):

- ``activations``: sigmoid, tanh, relu, leaky_relu, elu, linear and their derivatives
- ``chain``: the scalar chain (one neuron per layer) traced forward and backward
- ``conventions``: dOut/da_l, dOut/dz_l and dOut/dw_l side by side ("gradient of what?")
- ``init``: Xavier/Glorot, He/Kaiming, LeCun, normal and constant initialisation
- ``mlp``: a vectorised network with manual backprop, batch norm and residual paths
- ``normalization``: layer normalisation and its backward pass (batch norm lives in ``mlp``)
- ``losses``: mean squared error and binary cross-entropy with their gradients
- ``prelu``, ``gain``, ``symmetry``: PReLU and its slope gradient, activation gains, symmetric starts
- ``landscape``: the loss along one direction (the cliff)
- ``latching``: the one-unit recurrent net that must hold a bit (the latching dilemma)
- ``signal``: mean-field signal propagation, order and chaos, dynamical isometry
- ``gradcheck``: central finite differences to check every backward pass
- ``products``: products of random matrices, their singular values in log space
- ``matrices``: the recurrent weight matrix: how to draw it, its spectral radius and norm
- ``recurrent``: vanilla RNN, LSTM and GRU cells with backprop through time
- ``lags``: the gradient norm against the time lag
- ``optim``, ``train``: SGD (and Adam), clipping by norm and by value; ``fit``, the one training
  loop every network goes through
- ``data``: small deterministic datasets (two moons, spirals, a memory task, sklearn's digits)
- ``diagnose``: gradient entries, learning speed, update ratios and a verdict of ``Finding`` s
- ``mystery``: broken networks to diagnose (lesson 10)
- ``derive``: sympy derivations (imports sympy when used)
- ``table``: how every result prints (text, Markdown, HTML), and ``table()`` for a lesson's numbers
- ``plots``: matplotlib figures, the diagnosis plots among them (imports matplotlib when used)
- ``widgets``: ipywidgets explorers (imports ipywidgets when used)

``plots`` and ``widgets`` are the views; no other module imports matplotlib or ipywidgets.

``import vanishing`` stays light: sympy, matplotlib and ipywidgets load only
inside the modules that need them.
"""

__version__ = "0.1.0"
