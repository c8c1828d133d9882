def similar_elements(a, b):
    return [x for x in a if x in b]
